extension UsageRecord {
    /// Cuts every text column to its bound in UTF-8 bytes, between scalars, marking the cut with "…" (3 bytes),
    /// before the row is written or logged. Callers choose what reaches `model`, the prompt summary, image sizes and
    /// error messages: without a bound, three 20 MB model names grew the database by 76 MB. Written out field by
    /// field: a list of key paths, built and read through on every row, cost ~6,000 instructions a request.
    mutating func bound() {
        Self.cut(&model, to: 256)
        Self.cut(&provider, to: 128)
        Self.cut(&promptSummary, to: 300)
        Self.cut(&imageSize, to: 64)
        Self.cut(&error, to: 500)
        Self.cut(&tried, to: 1000)
    }

    private static func cut(_ text: inout String?, to limit: Int) {
        guard let value = text, value.utf8.count > limit else { return }
        let scalars = value.unicodeScalars
        var end = scalars.startIndex
        var bytes = 0
        while end < scalars.endIndex, bytes + scalars[end].utf8.count <= limit - 3 {
            bytes += scalars[end].utf8.count
            end = scalars.index(after: end)
        }
        text = String(scalars[..<end]) + "…"
    }
}
