import Foundation

/// One row of `generation_logs`: what one request did, how long it took, what it cost.
///
/// The coding keys are the table's 25 columns (all but `id`), so the columns are named once, here, for writing and
/// reading alike; `reportedColumns` are the 24 a report or export shows.
public struct UsageRecord: Sendable, Equatable, Codable {
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
    /// Models tried before the one in `model` answered (fallbacks): `name (provider): why; …`.
    public var tried: String?
    /// Points charged for this request (the model's `price` applied to what the row counts); nil when unpriced.
    public var cost: Double?
    /// The request presented no valid key (missing, unknown, revoked, expired) or its route takes none
    /// (`/v1/media/{id}`): `keyID` is nil without it being the master key.
    public var unauthenticated = false
    /// Points held for this request when it was admitted (not a column): settled against `cost` when the row is
    /// written, in the same transaction.
    public var reserved = 0.0
    /// The row's own identity, made when the row is: a batch written again after a write whose outcome was not
    /// known (the connection lost with the commit's reply) inserts and settles only the rows not already there, so
    /// a retry never doubles a row or its charge. Nil only on rows written before the column existed.
    public var entryID: String?
    /// Audio tokens within `promptTokens` and `completionTokens` (realtime sessions: `response.usage`'s details).
    public var inputAudioTokens: Int?
    public var outputAudioTokens: Int?
    /// How long a realtime session was open, from the upgrade to its close.
    public var sessionSeconds: Double?

    public init(requestID: String, route: String) {
        self.requestID = requestID
        self.route = route
        self.entryID = Hex.random(digits: 32)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case createdAt = "created_at"
        case requestID = "request_id"
        case keyID = "key_id"
        case model, provider, route, status, stream
        case promptSummary = "prompt_summary"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case characters
        case audioSeconds = "audio_seconds"
        case images
        case imageSize = "image_size"
        case ttfbMs = "ttfb_ms"
        case latencyMs = "latency_ms"
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
        case error, tried, cost, unauthenticated
        case entryID = "entry_id"
        case inputAudioTokens = "input_audio_tokens"
        case outputAudioTokens = "output_audio_tokens"
        case sessionSeconds = "session_seconds"
    }
}

extension UsageRecord.CodingKeys {
    /// The columns reports and exports show: every one but the write-once `entry_id`, which means nothing to a reader.
    static let reportedColumns = allCases.filter { $0 != .entryID }
}
