extension UsageRecord {
    /// Prompt summaries are capped so a log row never holds a whole document.
    public static let summaryLimit = 200

    public static func summarize(_ text: String) -> String {
        let flattened = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flattened.count > summaryLimit else { return flattened }
        return String(flattened.prefix(summaryLimit)) + "…"
    }
}
