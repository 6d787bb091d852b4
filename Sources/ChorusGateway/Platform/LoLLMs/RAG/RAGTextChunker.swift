/// Cuts a document's text into chunks of at most `size` characters for embedding, along the text's own seams:
/// paragraphs (blank lines) are kept whole when they fit, a longer paragraph is cut between sentences, and a
/// sentence longer than a chunk between words (a word longer than a chunk, anywhere). Consecutive pieces are packed
/// into a chunk while they fit; each chunk after the first starts with the last whole sentences of the one before
/// that fit in `overlap` characters, so an answer that straddles a cut is still found whole in one chunk.
struct RAGTextChunker: Sendable {
    /// Characters (grapheme clusters) per chunk at most.
    let size: Int
    /// Characters of the previous chunk repeated at the start of the next, at most; at most half of `size`.
    let overlap: Int

    init(size: Int, overlap: Int) {
        self.size = max(1, size)
        self.overlap = max(0, min(overlap, self.size / 2))
    }

    /// A piece of text that is never cut further: a paragraph, a sentence or a run of words.
    private struct Piece {
        var text: String
        var count: Int
        /// It begins a paragraph: joined to what comes before with a blank line, not a space.
        var startsParagraph: Bool
    }

    /// The chunks of `text`, in order; none for text that is only whitespace.
    func chunks(of text: String) -> [String] {
        var chunks: [String] = []
        var current: [Piece] = []
        var length = 0
        for piece in pieces(of: text) {
            if !current.isEmpty, length + separator(before: piece) + piece.count > size {
                chunks.append(joined(current))
                current = carried(from: current)
                length = measure(current)
                while let first = current.first, length + separator(before: piece) + piece.count > size {
                    length -= first.count + (current.count > 1 ? separator(before: current[1]) : 0)
                    current.removeFirst()
                }
            }
            length += (current.isEmpty ? 0 : separator(before: piece)) + piece.count
            current.append(piece)
        }
        if !current.isEmpty { chunks.append(joined(current)) }
        return chunks
    }

    private func separator(before piece: Piece) -> Int { piece.startsParagraph ? 2 : 1 }

    private func measure(_ pieces: [Piece]) -> Int {
        pieces.enumerated().reduce(0) { sum, item in sum + item.element.count + (item.offset == 0 ? 0 : separator(before: item.element)) }
    }

    private func joined(_ pieces: [Piece]) -> String {
        var text = ""
        for (index, piece) in pieces.enumerated() {
            if index > 0 { text += piece.startsParagraph ? "\n\n" : " " }
            text += piece.text
        }
        return text
    }

    /// The last pieces of a finished chunk that fit in `overlap`, never the whole chunk (the next must move on).
    private func carried(from chunk: [Piece]) -> [Piece] {
        var tail: [Piece] = []
        var length = 0
        for piece in chunk.dropFirst().reversed() {
            let added = piece.count + (tail.isEmpty ? 0 : separator(before: tail[0]))
            guard length + added <= overlap else { break }
            tail.insert(piece, at: 0)
            length += added
        }
        return tail
    }

    private func pieces(of text: String) -> [Piece] {
        var pieces: [Piece] = []
        for paragraph in Self.paragraphs(of: text) {
            let count = paragraph.count
            if count <= size {
                pieces.append(Piece(text: paragraph, count: count, startsParagraph: true))
                continue
            }
            var first = true
            for sentence in Self.sentences(of: paragraph) {
                for part in sentence.count <= size ? [sentence] : Self.words(of: sentence, size: size) {
                    pieces.append(Piece(text: part, count: part.count, startsParagraph: first))
                    first = false
                }
            }
        }
        return pieces
    }

    /// Runs of non-blank lines, each line trimmed, joined by newlines.
    static func paragraphs(of text: String) -> [String] {
        var paragraphs: [String] = []
        var lines: [Substring] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty {
                if !lines.isEmpty { paragraphs.append(lines.joined(separator: "\n")) }
                lines = []
            } else {
                lines.append(trimmed)
            }
        }
        if !lines.isEmpty { paragraphs.append(lines.joined(separator: "\n")) }
        return paragraphs
    }

    /// Cut after `.`, `!` or `?` (and any closing quotes or brackets) followed by whitespace.
    static func sentences(of paragraph: String) -> [String] {
        var sentences: [String] = []
        var start = paragraph.startIndex
        var index = paragraph.startIndex
        while index < paragraph.endIndex {
            let character = paragraph[index]
            index = paragraph.index(after: index)
            guard character == "." || character == "!" || character == "?" else { continue }
            while index < paragraph.endIndex, "\"')]»”’".contains(paragraph[index]) { index = paragraph.index(after: index) }
            guard index < paragraph.endIndex, paragraph[index].isWhitespace else { continue }
            let sentence = paragraph[start..<index].trimmingWhitespace()
            if !sentence.isEmpty { sentences.append(String(sentence)) }
            start = index
        }
        let rest = paragraph[start...].trimmingWhitespace()
        if !rest.isEmpty { sentences.append(String(rest)) }
        return sentences
    }

    /// Runs of whole words of at most `size` characters; a longer word is cut every `size` characters.
    static func words(of sentence: String, size: Int) -> [String] {
        var parts: [String] = []
        var current = ""
        var length = 0
        for word in sentence.split(whereSeparator: \.isWhitespace) {
            var rest = word
            while rest.count > size {
                if !current.isEmpty { parts.append(current); current = ""; length = 0 }
                parts.append(String(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            guard !rest.isEmpty else { continue }
            let count = rest.count
            if !current.isEmpty, length + 1 + count > size {
                parts.append(current)
                current = ""
                length = 0
            }
            if !current.isEmpty { current += " "; length += 1 }
            current += rest
            length += count
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring { self[...].trimmingWhitespace() }
}
