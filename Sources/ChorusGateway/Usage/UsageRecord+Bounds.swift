extension UsageRecord {
    /// The most of each text column a row keeps. Callers choose what reaches `model`, the prompt summary, image
    /// sizes and error messages: without a bound, three 20 MB model names grew the database by 76 MB.
    static var textBounds: KeyValuePairs<WritableKeyPath<UsageRecord, String?>, Int> {
        [
            \.model: 256, \.provider: 128, \.promptSummary: 300, \.imageSize: 64, \.error: 500, \.tried: 1000,
        ]
    }

    /// Cuts every text column to its bound in UTF-8 bytes, between scalars, marking the cut with "…" (3 bytes),
    /// before the row is written or logged.
    mutating func bound() {
        for (path, limit) in Self.textBounds {
            guard let text = self[keyPath: path], text.utf8.count > limit else { continue }
            let scalars = text.unicodeScalars
            var end = scalars.startIndex
            var bytes = 0
            while end < scalars.endIndex, bytes + scalars[end].utf8.count <= limit - 3 {
                bytes += scalars[end].utf8.count
                end = scalars.index(after: end)
            }
            self[keyPath: path] = String(scalars[..<end]) + "…"
        }
    }
}
