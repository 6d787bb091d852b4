import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import ChorusEngines

/// A cancelled request frees its engine thread within a second, wherever the job was: the engines' progress
/// counters stop advancing. Each test has its own engine, so no other test moves its counter.
@Suite(.serialized, .timeLimit(.minutes(2))) struct EngineCancellationTests {
    /// `count` copies of `piece` end to end (a block at a time: element by element is slow in debug builds).
    static func repeated(_ piece: [Int16], count: Int) -> [Int16] {
        var whole: [Int16] = []
        whole.reserveCapacity(piece.count * count)
        for _ in 0..<count { whole.append(contentsOf: piece) }
        return whole
    }

    /// Waits until `counter` has not moved for `quiet`, at most `limit`; returns how long it kept moving.
    static func timeUntilStill(_ counter: () -> Int, quiet: Duration = .milliseconds(500), limit: Duration = .seconds(10)) async throws -> Duration {
        let start = ContinuousClock.now
        var last = counter()
        var lastMove = start
        while ContinuousClock.now - start < limit {
            try await Task.sleep(for: .milliseconds(50))
            let now = counter()
            if now != last { last = now; lastMove = .now }
            if ContinuousClock.now - lastMove >= quiet { break }
        }
        return lastMove - start
    }

    @Test func cancelledRecognitionStopsTheDecoderWithinASecond() async throws {
        let engine = try PocketSphinxEngine()
        let clip = Self.repeated(try fixtureSamples(), count: 40)  // ~4 minutes of speech: minutes of decoding
        let task = Task { try await engine.transcribe(clip) }
        while engine.samplesDecoded < PocketSphinxEngine.sampleRate * 2 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let moving = try await Self.timeUntilStill { engine.samplesDecoded }
        #expect(moving < .seconds(1), "the decoder went on for \(moving) after the cancel")
        #expect(engine.samplesDecoded < clip.count / 2)
    }

    @Test func cancellingWhileALongClipIsScannedForSpeechFreesTheDecoderAtOnce() async throws {
        let engine = try PocketSphinxEngine()
        // Two hours of loud noise: the energy scan over it takes seconds in a debug build, before any decoding.
        let second = (0..<PocketSphinxEngine.sampleRate).map { Int16(truncatingIfNeeded: ($0 &* 7919) % 16000 - 8000) }
        let clip = Self.repeated(second, count: 7200)
        let task = Task { try await engine.transcribe(clip) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The one decoder takes the next request straight away instead of after the rest of the scan.
        let start = ContinuousClock.now
        _ = try await engine.transcribe([Int16](repeating: 0, count: 1600))
        #expect(ContinuousClock.now - start < .seconds(1), "the next request waited \(ContinuousClock.now - start)")
        #expect(engine.samplesDecoded == 0, "the cancelled clip reached pocketsphinx")
    }

    @Test func cancelledSynthesisStopsTheEspeakThreadWithinASecond() async throws {
        let engine = try EspeakEngine()
        let preset = try #require(VoicePresets.builtIn.preset(named: "alloy"))
        let text = String(repeating: longText, count: 4)
        let received = NIOLockedValueBox(0)
        // A consumer that reads slowly: espeak runs ahead of it (its stream buffers), so the engine is still busy
        // when the consumer gives up.
        let task = Task {
            for try await _ in engine.synthesize(SpeechRequest(text: text, voice: preset, speed: 0.25)) {
                received.withLockedValue { $0 += 1 }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        while received.withLockedValue({ $0 }) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.result
        let moving = try await Self.timeUntilStill { engine.samplesSynthesized }
        #expect(moving < .seconds(1), "espeak went on for \(moving) after the cancel")
        let full = try await synthesize(engine, text, speed: 0.25)
        #expect(engine.samplesSynthesized - full.samples.count < full.samples.count / 2,
                "the cancelled request made \(engine.samplesSynthesized - full.samples.count) of \(full.samples.count) samples")
    }

    @Test func synthesisStopsAtItsMaxSecondsWithATypedError() async throws {
        let engine = try EspeakEngine()
        let preset = try #require(VoicePresets.builtIn.preset(named: "alloy"))
        var samples = 0
        let error = await #expect(throws: EngineError.self) {
            for try await chunk in engine.synthesize(SpeechRequest(text: longText, voice: preset, maxSeconds: 1.5)) {
                samples += chunk.count
            }
        }
        #expect(error?.code == .tooLong)
        #expect(samples == Int(1.5 * Double(EspeakEngine.sampleRate)), "the stream carries the audio up to the limit")
        #expect(engine.samplesSynthesized == samples, "espeak stopped at the limit")
    }
}
