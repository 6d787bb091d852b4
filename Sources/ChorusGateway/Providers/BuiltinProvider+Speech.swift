import ChorusEngines
import ChorusMedia
import NIOConcurrencyHelpers

extension BuiltinProvider: SpeechProvider {
    var voiceCloning: VoiceCloning { .none }

    /// espeak-ng PCM (22050 Hz) encoded to the caller's format at 24 kHz as it is produced.
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
        let pcm = engine.synthesize(ChorusEngines.SpeechRequest(text: job.input, voice: preset, speed: job.speed, language: job.language))
        let chunks = SynthesizedAudio.produce { continuation in
            for try await block in pcm {
                samples.withLockedValue { $0 += block.count }
                let bytes = try await encoder.run { try $0.feed(block) }
                if !bytes.isEmpty { continuation.yield(bytes) }
            }
            let tail = try await encoder.run { try $0.finish() }
            if !tail.isEmpty { continuation.yield(tail) }
        }
        return .audio(SynthesizedAudio(chunks: chunks, seconds: { Double(samples.withLockedValue { $0 }) / Double(EspeakEngine.sampleRate) }))
    }
}
