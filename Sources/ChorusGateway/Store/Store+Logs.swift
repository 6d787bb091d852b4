import Foundation
import GRDB

/// A `generation_logs` row as read back (CLI, admin route, tests).
public struct LogRow: Sendable {
    public var id: Int64
    public var createdAt: Date
    public var requestID: String
    public var keyID: Int64?
    public var model: String?
    public var provider: String?
    public var route: String
    public var status: Int
    public var stream: Bool
    public var promptSummary: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var totalTokens: Int?
    public var characters: Int?
    public var audioSeconds: Double?
    public var images: Int?
    public var ttfbMs: Double?
    public var latencyMs: Double
    public var bytesIn: Int
    public var bytesOut: Int
    public var error: String?
}

extension Store {
    /// The most recent rows, newest first.
    public func recentLogs(limit: Int) throws -> [LogRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM generation_logs ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                LogRow(
                    id: row["id"], createdAt: Date(timeIntervalSince1970: row["created_at"]), requestID: row["request_id"],
                    keyID: row["key_id"], model: row["model"], provider: row["provider"], route: row["route"],
                    status: row["status"], stream: row["stream"], promptSummary: row["prompt_summary"],
                    promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                    totalTokens: row["total_tokens"], characters: row["characters"], audioSeconds: row["audio_seconds"],
                    images: row["images"], ttfbMs: row["ttfb_ms"], latencyMs: row["latency_ms"],
                    bytesIn: row["bytes_in"], bytesOut: row["bytes_out"], error: row["error"])
            }
        }
    }
}
