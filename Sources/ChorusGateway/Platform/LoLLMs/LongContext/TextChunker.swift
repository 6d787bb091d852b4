import Foundation

/// Cuts a text into pieces of at most `maxBytes` UTF-8 bytes, at the most natural boundary inside each window: a
/// paragraph break, else a line break, else the end of a sentence, else a space, else between two characters.
/// The pieces put back together are the text, byte for byte: nothing is dropped or repeated.
struct TextChunker: Sendable {
    let maxBytes: Int

    /// Boundaries in order of preference; a piece ends just after one.
    static let separators = ["\n\n", "\n", ". ", "? ", "! ", "。", " "]

    init(maxBytes: Int) {
        // A window must hold the longest character (a flag emoji is 8 bytes; longer clusters are cut as they come).
        self.maxBytes = max(maxBytes, 16)
    }

    func chunks(of text: String) -> [Substring] {
        var pieces: [Substring] = []
        var rest = text[...]
        while rest.utf8.count > maxBytes {
            let cut = cut(in: rest)
            pieces.append(rest[..<cut])
            rest = rest[cut...]
        }
        if !rest.isEmpty { pieces.append(rest) }
        return pieces
    }

    /// The end of the first piece of `text` (which is longer than `maxBytes`): just after the last boundary of the
    /// best kind in the window, when that leaves the piece at least a quarter of the window; else the last
    /// character boundary that fits.
    private func cut(in text: Substring) -> Substring.Index {
        let limit = Self.end(of: text, fitting: maxBytes)
        // One character larger than the window: it goes whole rather than be split.
        if limit == text.startIndex { return text.index(after: text.startIndex) }
        let window = text[..<limit]
        let least = maxBytes / 4
        for separator in Self.separators {
            if let found = window.range(of: separator, options: .backwards),
               text.utf8.distance(from: text.startIndex, to: found.upperBound) >= least {
                return found.upperBound
            }
        }
        return limit
    }

    /// The end of the longest prefix of `text` of at most `bytes` UTF-8 bytes that ends between two characters.
    static func end(of text: Substring, fitting bytes: Int) -> Substring.Index {
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            let next = text.index(after: index)
            used += text.utf8.distance(from: index, to: next)
            if used > bytes { break }
            end = next
        }
        return end
    }
}
