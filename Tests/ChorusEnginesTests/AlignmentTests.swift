import Foundation
import Testing
@testable import ChorusEngines

/// Forced alignment of a known text: audio made word by word, so every word's true start is known exactly.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AlignmentTests {
    static let words = "Please turn off the lights in the kitchen, and open the door to the garden.".split(separator: " ").map(String.init)

    /// Each word spoken alone by espeak-ng, trimmed, joined with `gap` seconds of silence after 0.5 s of lead-in;
    /// 16 kHz, with each word's true start in seconds.
    static func spokenWordByWord(_ words: [String], gap: Double = 0.15) async throws -> (samples: [Int16], starts: [Double]) {
        let engine = try EspeakEngine()
        defer { engine.shutdown() }
        let rate = Double(SpeakerProfile.sampleRate)
        var samples = [Int16](repeating: 0, count: Int(0.5 * rate))
        var starts: [Double] = []
        for word in words {
            let spoken = try await synthesize(engine, word)
            let resampled = SpeakerProfile.resample(spoken.samples.map(Double.init), from: EspeakEngine.sampleRate).map { Int16(clamping: Int($0)) }
            let first = resampled.firstIndex { abs(Int($0)) > 300 } ?? 0
            let last = resampled.lastIndex { abs(Int($0)) > 300 } ?? resampled.count - 1
            starts.append(Double(samples.count) / rate)
            samples += resampled[first...max(first, last)]
            samples += [Int16](repeating: 0, count: Int(gap * rate))
        }
        samples += [Int16](repeating: 0, count: Int(0.5 * rate))
        return (samples, starts)
    }

    @Test func wordTimesOfAKnownTextComeBackNearTheTrueStarts() async throws {
        let (samples, truth) = try await Self.spokenWordByWord(Self.words)
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let result = try await engine.align(samples, text: Self.words.joined(separator: " "))
        #expect(result.method == .aligned)
        let transcript = result.transcript
        #expect(transcript.text == Self.words.joined(separator: " "))
        #expect(transcript.words.map(\.word) == Self.words.map { $0.trimmingCharacters(in: .punctuationCharacters) })
        let errors = zip(transcript.words, truth).map { abs($0.start - $1) }.sorted()
        let median = errors[errors.count / 2]
        print("alignment: median start error \(median) s, worst \(errors.last ?? 0) s")
        #expect(median < 0.3)
        // In order, inside the clip; segments cover the words and cut after the comma-less sentence end only.
        #expect(zip(transcript.words, transcript.words.dropFirst()).allSatisfy { $0.end <= $1.start + 0.001 })
        #expect(transcript.segments.flatMap(\.words) == transcript.words)
        #expect(transcript.segments.last?.text.hasSuffix("garden.") == true)
    }

    @Test func wordsOutsideTheDictionaryShareTheGapBetweenTheirNeighbours() async throws {
        let spoken = ["open", "the", "door", "now"]
        let (samples, _) = try await Self.spokenWordByWord(spoken)
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let result = try await engine.align(samples, text: "open the door xqzzyv now")
        #expect(result.method == .aligned)
        let words = result.transcript.words
        #expect(words.map(\.word) == ["open", "the", "door", "xqzzyv", "now"])
        #expect(words[3].start >= words[2].end - 0.001 && words[3].end <= words[4].start + 0.001)
    }

    @Test func silenceGivesEstimatedTimesNotAFailure() async throws {
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let result = try await engine.align([Int16](repeating: 0, count: 32000), text: "nothing was said here")
        #expect(result.method == .estimated)
        #expect(result.transcript.words.count == 4)
        #expect(result.transcript.words.allSatisfy { $0.start >= 0 && $0.end <= 2.0 && $0.start <= $0.end })
    }

    @Test func emptyTextGivesNoWords() async throws {
        let engine = try PocketSphinxEngine(decoders: 1)
        defer { engine.shutdown() }
        let result = try await engine.align([Int16](repeating: 0, count: 16000), text: "  ")
        #expect(result.transcript.words.isEmpty && result.transcript.segments.isEmpty)
    }

    @Test func estimatedTimesFollowTheSpeechRegionsByLength() {
        let alignment = TranscriptAlignment(text: "aa bbbb, cc!")
        #expect(alignment.tokens.map(\.spoken) == ["aa", "bbbb", "cc"])
        let words = alignment.estimated(over: [1...2, 5...6])
        #expect(words.map(\.word) == ["aa", "bbbb", "cc"])
        // 2 of 8 characters → the first quarter of two seconds of speech: 1.0–1.5; "bbbb" crosses the pause.
        #expect(abs(words[0].start - 1.0) < 1e-9 && abs(words[0].end - 1.5) < 1e-9)
        #expect(abs(words[1].end - 5.5) < 1e-9)
        #expect(abs(words[2].end - 6.0) < 1e-9)
    }
}
