import Testing
@testable import ChorusEngines

@Suite struct TranscriptSegmenterTests {
    func word(_ text: String, _ start: Double, _ end: Double) -> TranscriptWord {
        TranscriptWord(word: text, start: start, end: end)
    }

    @Test func noWordsNoSegments() {
        #expect(TranscriptSegmenter().segments(from: []).isEmpty)
    }

    @Test func pausesOfHalfASecondSplitSegments() {
        let words = [word("hello", 0.1, 0.5), word("world", 0.6, 1.0), word("again", 1.5, 2.0), word("now", 2.3, 2.6)]
        let segments = TranscriptSegmenter().segments(from: words)
        #expect(segments.map(\.text) == ["hello world", "again now"])
        #expect(segments.map(\.id) == [0, 1])
        #expect(segments[1].start == 1.5 && segments[1].end == 2.6)
    }

    @Test func longRunsSplitAboutEveryTenSeconds() {
        let words = (0..<60).map { word("w\($0)", Double($0) * 0.4, Double($0) * 0.4 + 0.3) }  // 24 s, no pauses
        let segments = TranscriptSegmenter().segments(from: words)
        #expect(segments.count == 3)
        #expect(segments.allSatisfy { $0.end - $0.start <= 10 })
        #expect(segments.flatMap(\.words) == words)
    }
}
