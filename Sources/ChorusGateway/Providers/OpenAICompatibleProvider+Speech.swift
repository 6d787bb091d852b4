import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import NIOConcurrencyHelpers
import NIOCore

extension OpenAICompatibleProvider: SpeechProvider {
    var voiceCloning: VoiceCloning { config.voiceCloning }

    /// `POST /audio/speech` in the format the provider lists (the caller's when it can), transcoded while it streams.
    func synthesize(_ job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> SpeechResult {
        if model.speechViaRealtime { return try await synthesizeThroughRealtime(job, model: model) }
        let produced = Self.upstreamFormat(wanted: job.format, offered: config.speechFormats)
        var body: JSONValue = ["model": .string(model.model), "input": .string(job.input)]
        switch job.voice {
        case .sample(let sample):
            body.set("audio_sample", .string("data:audio/wav;base64," + Data(sample).base64EncodedString()))
        case .named(let name?):
            body.set("voice", .string(name))
        case .named(nil):
            break
        }
        body.set("response_format", .string(produced.rawValue))
        if job.speed != 1.0 { body.set("speed", .number(job.speed)) }
        if let instructions = job.instructions { body.set("instructions", .string(instructions)) }
        body = transport.withDefaults(body, model: model)
        // Audio is streamed to the caller as the provider produces it: bounded by stalls, not by total length.
        let request = transport.post("/audio/speech", contentType: "application/json", accept: nil,
                                     body: .bytes(ByteBuffer(bytes: body.serialized())), stream: true)
        let response = try await transport.execute(request)
        guard response.status == 200 else { return .upstreamAnswer(response) }
        do {
            return .audio(try Self.audio(response.body, produced: produced, wanted: job.format,
                                         limits: AudioLimits(maxInputBytes: 512 << 20, maxDurationSeconds: 3600)))
        } catch {
            response.body.cancel()
            throw GatewayError.internalError("Could not start the audio transcoder: \(error)")
        }
    }

    /// The format to ask a provider for: the caller's when the provider lists it, else one Chorus can transcode
    /// from while it streams (wav first: no decoder delay).
    static func upstreamFormat(wanted: AudioFormat, offered: [AudioFormat]) -> AudioFormat {
        if offered.contains(wanted) { return wanted }
        for candidate in [AudioFormat.wav, .flac, .mp3, .opus, .aac, .pcm] where offered.contains(candidate) { return candidate }
        return wanted
    }

    /// An upstream's audio body: passed through when it already is the caller's format, else transcoded chunk by
    /// chunk while the upstream is still sending.
    static func audio(_ body: UpstreamResponseBody, produced: AudioFormat, wanted: AudioFormat, limits: AudioLimits) throws -> SynthesizedAudio {
        if produced == wanted {
            let bytes = NIOLockedValueBox(0)
            let chunks = SynthesizedAudio.produce(onStop: { body.cancel() }) { continuation in
                for try await buffer in body {
                    bytes.withLockedValue { $0 += buffer.readableBytes }
                    continuation.yield(Array(buffer.readableBytesView))
                }
            }
            // Without decoding, seconds are known only for raw PCM (24 kHz s16 mono).
            return SynthesizedAudio(chunks: chunks, seconds: { produced == .pcm ? Double(bytes.withLockedValue { $0 }) / 48000 : 0 })
        }
        // OpenAI's pcm is headerless 24 kHz s16le mono: nothing to detect, so the transcoder is told.
        let input: StreamingTranscoder.Input = produced == .pcm ? .pcm(sampleRate: 24000) : .detect
        let transcoder = CodecBox(try StreamingTranscoder(output: wanted, sampleRate: 24000, bitrate: nil, limits: limits, input: input))
        let encodedSeconds = NIOLockedValueBox(0.0)
        let chunks = SynthesizedAudio.produce(onStop: { body.cancel() }) { continuation in
            for try await buffer in body {
                let piece = Array(buffer.readableBytesView)
                let (bytes, seconds) = try await transcoder.run { (try $0.feed(piece), $0.secondsEncoded) }
                encodedSeconds.withLockedValue { $0 = seconds }
                if !bytes.isEmpty { continuation.yield(bytes) }
            }
            let (tail, seconds) = try await transcoder.run { (try $0.finish(), $0.secondsEncoded) }
            encodedSeconds.withLockedValue { $0 = seconds }
            if !tail.isEmpty { continuation.yield(tail) }
        }
        return SynthesizedAudio(chunks: chunks, seconds: { encodedSeconds.withLockedValue { $0 } })
    }
}
