import ChorusEngines
import ChorusMedia
import NIOConcurrencyHelpers

extension BuiltinProvider: SpeechProvider {
    /// espeak-ng cannot clone; it speaks a sample with the closest voice it has (``VoiceMatch``).
    var voiceCloning: VoiceCloning { .match }

    /// espeak-ng PCM (22050 Hz) encoded to the caller's format at 24 kHz as it is produced. espeak-ng stops at the
    /// provider's `max_audio_seconds` (the stream then ends with `audio_too_long`), and when the answer's consumer
    /// goes away (the engine's stream is dropped, so espeak stops within a 100 ms buffer).
    func synthesize(_ job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> SpeechResult {
        let (preset, speed) = try await voice(for: job, model: model)
        let engine = try speechEngine()
        let encoder: CodecBox<StreamingEncoder>
        do {
            encoder = CodecBox(try StreamingEncoder(format: job.format, inputRate: EspeakEngine.sampleRate, outputRate: 24000, bitrate: nil))
        } catch {
            throw GatewayError.internalError("Could not start the audio encoder: \(error)")
        }
        let samples = NIOLockedValueBox(0)
        let (limit, provider) = (config.maxAudioSeconds, config.name)
        let pcm = engine.synthesize(ChorusEngines.SpeechRequest(text: job.input, voice: preset, speed: speed,
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

    /// A preset by name, or the voice matched to a sample, with the speed to speak it at.
    private func voice(for job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> (VoicePreset, Double) {
        switch job.voice {
        case .named(let name?):
            if let preset = presets.preset(named: name) { return (preset, job.speed) }
        case .named(nil):
            break
        case .sample(let wav):
            let match = try await Self.match(wav)
            return (match.preset, job.speed * match.speedFactor)
        }
        let names = presets.all.map(\.name).joined(separator: ", ")
        throw GatewayError.invalidParameter("voice", "Unknown voice. Voices for '\(model.name)': \(names).")
    }

    /// The espeak voice closest to a normalised sample (≤ 60 s; measured on its first 20 s, a few milliseconds).
    static func match(_ wav: [UInt8]) async throws(GatewayError) -> VoiceMatch {
        try await Offload.cancellable { flag throws(GatewayError) in
            let pcm: PCMAudio
            do {
                pcm = try AudioDecoder.decode(wav, sampleRate: SpeakerProfile.sampleRate, cancellation: flag)
            } catch {
                throw .invalidParameter("voice", "The voice sample could not be decoded.")
            }
            guard let profile = SpeakerProfile.estimate(pcm.samples) else {
                throw .invalidParameter("voice", "The voice sample has no voiced speech to match a voice to; record a few seconds of clear speech.")
            }
            return VoiceMatch(profile: profile)
        }
    }
}
