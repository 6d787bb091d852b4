import Foundation

/// Cuts a streamed answer into clauses a voice can speak while the rest is still being written.
///
/// A sentence end (`.`, `!`, `?`, or a line break) closes a clause as soon as the character after it shows it is
/// one (whitespace, or the end of the answer: `3.14` and `e.g.x` stay whole); a weaker mark (`,`, `;`, `:`) closes
/// one only when the clause is at least `minimumLength` characters long, so the voice does not stop after every
/// short phrase. Clauses come out trimmed, never empty and never without a letter or digit.
public struct ClauseSplitter: Sendable {
    public let minimumLength: Int
    private var pending = ""

    public init(minimumLength: Int = 24) {
        self.minimumLength = max(1, minimumLength)
    }

    /// Adds streamed text; returns the clauses it completed.
    public mutating func feed(_ text: String) -> [String] {
        pending += text
        var clauses: [String] = []
        var start = pending.startIndex
        var index = pending.startIndex
        while index < pending.endIndex {
            let character = pending[index]
            let next = pending.index(after: index)
            let isBreak = character == "\n"
            let strong = isBreak || ".!?".contains(character)
            let weak = ",;:".contains(character)
            if strong || weak {
                // The mark counts only when what follows it is known to be whitespace.
                guard next < pending.endIndex else { break }
                if isBreak || pending[next].isWhitespace {
                    let clause = pending[start..<next]
                    if strong || clause.trimmingCharacters(in: .whitespacesAndNewlines).count >= minimumLength {
                        if let spoken = Self.speakable(clause) { clauses.append(spoken) }
                        start = next
                    }
                }
            }
            index = next
        }
        pending = String(pending[start...])
        return clauses
    }

    /// The answer ended: whatever is left, if it has anything to say.
    public mutating func finish() -> String? {
        defer { pending = "" }
        return Self.speakable(pending[...])
    }

    static func speakable(_ text: Substring) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.contains(where: { $0.isLetter || $0.isNumber }) else { return nil }
        return trimmed
    }
}
