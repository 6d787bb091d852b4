import ChorusEngines
import ChorusMedia
import NIOConcurrencyHelpers

extension BuiltinProvider: SpeechProvider {
    var voiceCloning: VoiceCloning { .none }

    /// espeak-ng PCM (22050 Hz) encoded to the caller's format at 24 kHz as it is produced. espeak-ng stops at the
    /// provider's `max_audio_seconds` (the stream then ends with `audio_too_long`), and when the answer's consumer
    /// goes away (the engine's stream is dropped, so espeak stops within a 100 ms buffer).
    func synthesize(_ job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> SpeechResult {
        guard case .named(let name?) = job.voice, let preset = presets.preset(named: name) else {
            let names = presets.all.map(\.name).joined(separator: ", ")
            throw GatewayError.invalidParameter("voice", "Unknown voice. Voices for '\(model.name)': \(names).")
        }
        let engine = try speechEngine()
        let encoder: CodecBox<StreamingEncoder>
        do {
            encoder = CodecBox(try StreamingEncoder(format: job.format, inputRate: EspeakEngine.sampleRate, outputRate: 24000, bitrate: nil))
        } catch {
            throw GatewayError.internalError("Could not start the audio encoder: \(error)")
        }
        let samples = NIOLockedValueBox(0)
        let (limit, provider) = (config.maxAudioSeconds, config.name)
        let pcm = engine.synthesize(ChorusEngines.SpeechRequest(text: job.input, voice: preset, speed: job.speed,
                                                                language: job.language, maxSeconds: limit))
        let chunks = SynthesizedAudio.produce { continuation in
            do {
                for try await block in pcm {
                    samples.withLockedValue { $0 += block.count }
                    let bytes = try await encoder.run { try $0.feed(block) }
                    if !bytes.isEmpty { continuation.yield(bytes) }
                }
            } catch let error as EngineError where error.code == .tooLong {
                // espeak stopped itself at the limit; what it made up to there has been sent.
                throw GatewayError.audioTooLong(seconds: nil, limit: limit, provider: provider, param: "input")
            }
            let tail = try await encoder.run { try $0.finish() }
            if !tail.isEmpty { continuation.yield(tail) }
        }
        return .audio(SynthesizedAudio(chunks: chunks, seconds: { Double(samples.withLockedValue { $0 }) / Double(EspeakEngine.sampleRate) }))
    }
}
