import ChorusEngines

/// The embedded voice, one clause at a time: espeak-ng's 22.05 kHz PCM made whole (a clause takes espeak a few
/// milliseconds) and converted to the protocol's 24 kHz.
struct CascadeVoice: Sendable {
    let engine: EspeakEngine
    /// Longest clause audio (the builtin provider's `max_audio_seconds`).
    let maxSeconds: Double

    /// The clause spoken at 24 kHz; cancelling the calling task stops espeak within a buffer.
    func speak(_ text: String, voice: VoicePreset, speed: Double) async throws -> [Int16] {
        var samples: [Int16] = []
        let request = SpeechRequest(text: text, voice: voice, speed: speed, maxSeconds: maxSeconds)
        do {
            for try await block in engine.synthesize(request) {
                try Task.checkCancellation()
                samples += block
            }
        } catch let error as EngineError where error.code == .tooLong {
            // The clause is cut at the limit; what was made is still spoken.
        }
        try Task.checkCancellation()
        return PCMResampler.resample(samples, from: EspeakEngine.sampleRate, to: PCM16Wire.sampleRate)
    }
}
