extension UsageRecord {
    /// Prompt summaries are capped so a log row never holds a whole document.
    public static let summaryLimit = 200

    public static func summarize(_ text: String) -> String {
        // The usual prompt: short ASCII without line breaks, kept as it is. Splitting and counting Characters
        // (grapheme breaking) cost ~7,000 instructions for a 25-character prompt.
        if text.utf8.count <= summaryLimit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 }) { return text }
        let flattened = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flattened.count > summaryLimit else { return flattened }
        return String(flattened.prefix(summaryLimit)) + "…"
    }
}
