import Testing
@testable import ChorusEngines

/// Voice matching round trip: espeak speech of a known voice, measured, matches back to about that voice.
@Suite(.serialized, .timeLimit(.minutes(1))) struct VoiceMatchTests {
    static let text = "The quick brown fox jumps over the lazy dog while the gateway answers every call in time."

    static func spoken(_ engine: EspeakEngine, voice: String, pitch: Int, speed: Double = 1.0) async throws -> [Int16] {
        var samples: [Int16] = []
        let preset = VoicePreset(name: "sample", espeakVoice: voice, pitch: pitch)
        for try await chunk in engine.synthesize(SpeechRequest(text: text, voice: preset, speed: speed)) { samples += chunk }
        return samples
    }

    static func match(_ samples: [Int16]) throws -> VoiceMatch {
        VoiceMatch(profile: try #require(SpeakerProfile.estimate(samples, sampleRate: EspeakEngine.sampleRate)))
    }

    @Test func aLowMaleAndAHighFemaleVoiceMatchBackToTheirVariantAndPitch() async throws {
        let engine = try EspeakEngine()
        defer { engine.shutdown() }
        for (voice, pitch, variant) in [("en+m6", 20, "m3"), ("en-us+m1", 60, "m3"), ("en+f2", 80, "f2"), ("en+f4", 40, "f2")] {
            let match = try Self.match(try await Self.spoken(engine, voice: voice, pitch: pitch))
            #expect(match.preset.variant == variant, "\(voice) at \(pitch): \(match)")
            // Other variants of the same sex differ a little in base pitch; the match lands near, not on, the value.
            let matched = try #require(match.preset.pitch)
            #expect(abs(matched - pitch) <= 15, "\(voice) at \(pitch) matched pitch \(matched) (\(match.profile.pitchHz) Hz)")
            #expect(abs(match.speedFactor - 1) < 0.25, "\(voice) at speed 1 matched speed \(match.speedFactor)")
        }
    }

    @Test func aFastSpeakerMatchesFasterThanASlowOne() async throws {
        let engine = try EspeakEngine()
        defer { engine.shutdown() }
        let slow = try Self.match(try await Self.spoken(engine, voice: "en+m3", pitch: 50, speed: 0.7))
        let fast = try Self.match(try await Self.spoken(engine, voice: "en+m3", pitch: 50, speed: 1.6))
        #expect(abs(slow.speedFactor - 0.7) < 0.2, "\(slow)")
        // Fast speech is matched coarsely: the syllable count saturates above ~250 words per minute.
        #expect(fast.speedFactor >= 1.3, "\(fast)")
        #expect(fast.speedFactor > slow.speedFactor * 1.6)
    }

    @Test func silenceAndNoiseHaveNothingToMatch() {
        #expect(SpeakerProfile.estimate([Int16](repeating: 0, count: 32000)) == nil)
        var state: UInt64 = 42
        let hiss = (0..<32000).map { _ -> Int16 in
            state = state &* 6364136223846793005 &+ 1442695040888963407  // a fixed LCG: white noise, repeatable
            return Int16(truncatingIfNeeded: Int(state >> 33) % 4001 - 2000)
        }
        #expect(SpeakerProfile.estimate(hiss) == nil)
        #expect(SpeakerProfile.estimate([]) == nil)
        #expect(SpeakerProfile.estimate([1, 2, 3], sampleRate: 0) == nil)
    }

    @Test func interpolationClampsAtBothEnds() {
        let points: [(x: Double, y: Double)] = [(0, 10), (1, 20), (3, 40)]
        #expect(VoiceMatch.interpolate(-5, in: points) == 10)
        #expect(VoiceMatch.interpolate(2, in: points) == 30)
        #expect(VoiceMatch.interpolate(9, in: points) == 40)
        #expect(VoiceMatch.interpolate(.nan, in: points) == 10)
    }
}
