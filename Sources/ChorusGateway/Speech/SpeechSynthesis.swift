import ChorusEngines
import ChorusMedia
import ChorusUpstream
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where a speech request's audio comes from, already in the caller's format: a stream of encoded chunks plus
/// the seconds of audio produced so far.
struct SynthesizedAudio: Sendable {
    let chunks: AsyncThrowingStream<[UInt8], any Error>
    let seconds: @Sendable () -> Double
}

/// Runs a non-Sendable ffmpeg pipeline (encoder/transcoder) from one task at a time, each step on the NIO thread
/// pool so codec work never lands on an event loop.
final class CodecBox<Codec>: @unchecked Sendable {
    private let codec: Codec
    private let lock = NIOLock()
    init(_ codec: Codec) { self.codec = codec }

    func run<T: Sendable>(_ body: @escaping @Sendable (Codec) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try lock.withLock { try body(codec) }
        }
    }
}

enum SpeechSynthesis {
    typealias Chunks = AsyncThrowingStream<[UInt8], any Error>

    /// Runs `produce` in its own task, feeding the returned stream; when the consumer stops early, the task is
    /// cancelled and `onStop` runs (e.g. to abort the upstream transfer).
    static func produce(onStop: @escaping @Sendable () -> Void = {},
                        _ produce: @escaping @Sendable (Chunks.Continuation) async throws -> Void) -> Chunks {
        Chunks { continuation in
            let task = Task {
                do {
                    try await produce(continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                onStop()
            }
        }
    }

    /// The embedded engine: espeak-ng PCM (22050 Hz) encoded to the caller's format at 24 kHz as it is produced.
    static func builtin(engine: EspeakEngine, request: SpeechParameters, preset: VoicePreset) throws -> SynthesizedAudio {
        let encoder = CodecBox(try StreamingEncoder(
            format: request.responseFormat, inputRate: EspeakEngine.sampleRate, outputRate: 24000, bitrate: nil))
        let samples = NIOLockedValueBox(0)
        let pcm = engine.synthesize(ChorusEngines.SpeechRequest(
            text: request.input, voice: preset, speed: request.speed, language: request.language))
        let chunks = produce { continuation in
            for try await block in pcm {
                samples.withLockedValue { $0 += block.count }
                let bytes = try await encoder.run { try $0.feed(block) }
                if !bytes.isEmpty { continuation.yield(bytes) }
            }
            let tail = try await encoder.run { try $0.finish() }
            if !tail.isEmpty { continuation.yield(tail) }
        }
        return SynthesizedAudio(chunks: chunks, seconds: { Double(samples.withLockedValue { $0 }) / Double(EspeakEngine.sampleRate) })
    }

    /// An upstream's audio body: passed through when it already is the caller's format, else transcoded chunk by
    /// chunk while the upstream is still sending.
    static func upstream(_ body: UpstreamResponseBody, produced: AudioFormat, wanted: AudioFormat, limits: AudioLimits) throws -> SynthesizedAudio {
        if produced == wanted {
            let bytes = NIOLockedValueBox(0)
            let chunks = produce(onStop: { body.cancel() }) { continuation in
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
        let chunks = produce(onStop: { body.cancel() }) { continuation in
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

    /// The format to ask a provider for: the caller's when the provider lists it, else one Chorus can transcode
    /// from while it streams (wav first: no decoder delay).
    static func upstreamFormat(wanted: AudioFormat, provider: ProviderConfig) -> AudioFormat {
        let offered = provider.speechFormats.compactMap(AudioFormat.init(rawValue:))
        if offered.contains(wanted) { return wanted }
        for candidate in [AudioFormat.wav, .flac, .mp3, .opus, .aac, .pcm] where offered.contains(candidate) { return candidate }
        return wanted
    }
}
