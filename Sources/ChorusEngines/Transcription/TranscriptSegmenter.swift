/// Groups timed words into segments: a new segment starts after a pause of at least ``pause`` seconds, or
/// when adding the next word would make the segment longer than ``maxDuration`` seconds, or (with
/// ``sentenceEnds``) after a word that ends a sentence.
struct TranscriptSegmenter: Sendable {
    var pause: Double = 0.5
    var maxDuration: Double = 10
    /// Words as written by someone (a provider's text): cut after `.`, `!`, `?` too.
    var sentenceEnds = false

    func segments(from words: [TranscriptWord]) -> [TranscriptSegment] {
        var segments: [TranscriptSegment] = []
        var current: [TranscriptWord] = []

        func close() {
            guard let first = current.first, let last = current.last else { return }
            segments.append(TranscriptSegment(
                id: segments.count, start: first.start, end: last.end,
                text: current.map(\.word).joined(separator: " "), words: current))
            current = []
        }

        for word in words {
            if let first = current.first, let last = current.last,
               word.start - last.end >= pause || word.end - first.start > maxDuration {
                close()
            }
            current.append(word)
            if sentenceEnds, let last = word.word.last, ".!?".contains(last) { close() }
        }
        close()
        return segments
    }
}
