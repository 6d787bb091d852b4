import Foundation

/// One row of `generation_logs`: what one request did, how long it took, what it cost.
public struct UsageRecord: Sendable {
    public var createdAt = Date()
    public var requestID: String
    public var keyID: Int64?
    public var model: String?
    public var provider: String?
    public var route: String
    public var status = 0
    public var stream = false
    public var promptSummary: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var totalTokens: Int?
    public var characters: Int?
    public var audioSeconds: Double?
    public var images: Int?
    public var imageSize: String?
    public var ttfbMs: Double?
    public var latencyMs = 0.0
    public var bytesIn = 0
    public var bytesOut = 0
    public var error: String?

    public init(requestID: String, route: String) {
        self.requestID = requestID
        self.route = route
    }

    /// Prompt summaries are capped so a log row never holds a whole document.
    public static let summaryLimit = 200

    public static func summarize(_ text: String) -> String {
        let flattened = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flattened.count > summaryLimit else { return flattened }
        return String(flattened.prefix(summaryLimit)) + "…"
    }
}
