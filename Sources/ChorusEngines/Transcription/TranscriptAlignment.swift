import Foundation

/// A transcript someone else wrote (a provider that answered text only), given times against the audio.
public struct AlignedTranscript: Sendable {
    public enum Method: String, Sendable {
        /// Word times from forced alignment of the text to the audio.
        case aligned
        /// Alignment found no path (silence, music, a text that does not fit): times spread evenly over the speech.
        case estimated
    }

    public var transcript: Transcript
    public var method: Method
}

/// The text side of alignment: tokens as written, the dictionary form of each, and the arithmetic that turns
/// frame spans (or nothing) into word times. No pocketsphinx here, so it is tested on its own.
struct TranscriptAlignment: Sendable {
    struct Token: Sendable {
        /// As the provider wrote it, punctuation included (segments are joined from these).
        var written: String
        /// Lower case, outer punctuation stripped: what the dictionary is asked for.
        var spoken: String
    }

    let tokens: [Token]

    init(text: String) {
        tokens = text.split(whereSeparator: \.isWhitespace).compactMap { piece in
            let written = String(piece)
            let spoken = written.lowercased().trimmingCharacters(in: CharacterSet.alphanumerics.union(["'"]).inverted)
            return spoken.isEmpty && written.allSatisfy({ $0.isPunctuation }) ? nil : Token(written: written, spoken: spoken)
        }
    }

    /// Words with times: `known[i]` is the time span found for token i, nil where alignment could not place it
    /// (outside the dictionary). Unplaced runs share the gap between their placed neighbours (or the span's ends)
    /// by length.
    func words(known: [(start: Double, end: Double)?], span: ClosedRange<Double>) -> [TranscriptWord] {
        var times = known
        var index = 0
        while index < tokens.count {
            guard times[index] == nil else { index += 1; continue }
            var runEnd = index
            while runEnd < tokens.count, times[runEnd] == nil { runEnd += 1 }
            let from = index > 0 ? times[index - 1]?.end ?? span.lowerBound : span.lowerBound
            let to = runEnd < tokens.count ? times[runEnd]?.start ?? span.upperBound : span.upperBound
            let spread = Self.spread(tokens[index..<runEnd].map(\.spoken), over: from...max(from, to))
            for (offset, time) in spread.enumerated() { times[index + offset] = time }
            index = runEnd
        }
        return zip(tokens, times).map { token, time in
            TranscriptWord(word: token.written.trimmingCharacters(in: CharacterSet.alphanumerics.union(["'"]).inverted),
                           start: time?.start ?? span.lowerBound, end: time?.end ?? span.lowerBound)
        }
    }

    /// Every token placed evenly over `regions` (seconds) by length, as if the speech were one stretch.
    func estimated(over regions: [ClosedRange<Double>]) -> [TranscriptWord] {
        let total = regions.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) }
        guard total > 0 else { return words(known: tokens.map { _ in nil }, span: 0...0) }
        let spread = Self.spread(tokens.map(\.spoken), over: 0...total)
        // Speech time → clip time.
        func clipTime(_ speech: Double) -> Double {
            var left = speech
            for region in regions {
                let length = region.upperBound - region.lowerBound
                if left <= length { return region.lowerBound + left }
                left -= length
            }
            return regions.last?.upperBound ?? 0
        }
        return zip(tokens, spread).map { token, time in
            TranscriptWord(word: token.written.trimmingCharacters(in: CharacterSet.alphanumerics.union(["'"]).inverted),
                           start: clipTime(time.start), end: clipTime(time.end))
        }
    }

    /// Consecutive spans over `range`, one per item, each as long as its character count (at least one).
    static func spread(_ items: [String], over range: ClosedRange<Double>) -> [(start: Double, end: Double)] {
        let weights = items.map { Double(max(1, $0.count)) }
        let total = weights.reduce(0, +)
        var start = range.lowerBound
        let length = range.upperBound - range.lowerBound
        return weights.map { weight in
            let end = start + length * weight / total
            defer { start = end }
            return (start, end)
        }
    }

    /// Pairs (index in `reference`, index in `heard`) of a minimum edit-distance alignment: equal words and
    /// substitutions are paired, insertions and deletions are not. Pairs are in increasing order on both sides.
    static func editAlignment(_ reference: [String], _ heard: [String]) -> [(Int, Int)] {
        let rows = reference.count, columns = heard.count
        guard rows > 0, columns > 0 else { return [] }
        var cost = [[Int]](repeating: [Int](repeating: 0, count: columns + 1), count: rows + 1)
        for row in 0...rows { cost[row][0] = row }
        for column in 0...columns { cost[0][column] = column }
        for row in 1...rows {
            for column in 1...columns {
                let substitution = cost[row - 1][column - 1] + (reference[row - 1] == heard[column - 1] ? 0 : 1)
                cost[row][column] = min(substitution, cost[row - 1][column] + 1, cost[row][column - 1] + 1)
            }
        }
        var pairs: [(Int, Int)] = []
        var (row, column) = (rows, columns)
        while row > 0 && column > 0 {
            let same = reference[row - 1] == heard[column - 1]
            if cost[row][column] == cost[row - 1][column - 1] + (same ? 0 : 1) {
                pairs.append((row - 1, column - 1))
                row -= 1
                column -= 1
            } else if cost[row][column] == cost[row - 1][column] + 1 {
                row -= 1
            } else {
                column -= 1
            }
        }
        return pairs.reversed()
    }

    /// Segments cut at pauses and at sentence ends; their text is the provider's, punctuation kept.
    func segments(_ words: [TranscriptWord]) -> [TranscriptSegment] {
        let written = zip(words, tokens).map { word, token in TranscriptWord(word: token.written, start: word.start, end: word.end) }
        var segments = TranscriptSegmenter(sentenceEnds: true).segments(from: written)
        var position = 0
        for index in segments.indices {
            let count = segments[index].words.count
            segments[index].words = Array(words[position..<(position + count)])
            position += count
        }
        return segments
    }
}
