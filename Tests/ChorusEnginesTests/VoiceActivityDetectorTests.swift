import Foundation
import Testing
@testable import ChorusEngines

@Suite struct VoiceActivityDetectorTests {
    static let rate = 24000

    /// A 200 Hz tone at about −12 dBFS.
    static func tone(ms: Int) -> [Int16] {
        (0..<(rate * ms / 1000)).map { Int16(8000 * sin(2 * Double.pi * 200 * Double($0) / Double(rate))) }
    }

    static func silence(ms: Int) -> [Int16] { [Int16](repeating: 0, count: rate * ms / 1000) }

    @Test func speechStartsBackDatedByThePaddingAndStopsAfterTheSilence() {
        var vad = VoiceActivityDetector(settings: .init(threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500))
        let audio = Self.silence(ms: 1000) + Self.tone(ms: 800) + Self.silence(ms: 1000)
        var events: [VoiceActivityDetector.Event] = []
        // 100 ms slices, as a client streams.
        for start in stride(from: 0, to: audio.count, by: 2400) {
            events += vad.feed(audio[start..<min(audio.count, start + 2400)])
        }
        #expect(events == [.speechStarted(audioStartMs: 700), .speechStopped(audioEndMs: 2300)])
        #expect(!vad.isSpeaking)
    }

    @Test func aClickShorterThanTheMinimumSpeechIsNoTurn() {
        var vad = VoiceActivityDetector()
        #expect(vad.feed(Self.silence(ms: 200) + Self.tone(ms: 40) + Self.silence(ms: 1000)).isEmpty)
    }

    @Test func quietAudioBelowTheThresholdIsSilence() {
        var vad = VoiceActivityDetector(settings: .init(threshold: 0.9))
        // 0.9 asks for −25 dBFS: a −52 dBFS murmur is silence, the −12 dBFS tone speech.
        let quiet = Self.tone(ms: 500).map { $0 / 100 }  // ≈ −52 dBFS
        #expect(vad.feed(quiet).isEmpty)
        #expect(vad.feed(Self.tone(ms: 200)).count == 1)
    }

    @Test func aShortPauseInsideSpeechDoesNotEndTheTurn() {
        var vad = VoiceActivityDetector(settings: .init(silenceDurationMs: 500))
        let audio = Self.tone(ms: 400) + Self.silence(ms: 300) + Self.tone(ms: 400) + Self.silence(ms: 600)
        let events = vad.feed(audio)
        #expect(events.count == 2)
        #expect(events.last == .speechStopped(audioEndMs: 1600))
    }

    @Test func resetForgetsAnOpenTurnButKeepsTheClock() {
        var vad = VoiceActivityDetector()
        _ = vad.feed(Self.tone(ms: 200))
        #expect(vad.isSpeaking)
        vad.reset()
        #expect(!vad.isSpeaking)
        #expect(vad.feed(Self.silence(ms: 1000)).isEmpty)
        #expect(vad.samplesSeen == Self.rate * 1200 / 1000)
    }
}


