import Foundation
import GRDB

/// A `generation_logs` row as read back (CLI, admin, tests): its id and the record that was written, whose
/// fields read straight through (`row.status`, `row.totalTokens`).
@dynamicMemberLookup
public struct LogRow: Sendable {
    public var id: Int64
    public var usage: UsageRecord

    public subscript<T>(dynamicMember keyPath: KeyPath<UsageRecord, T>) -> T { usage[keyPath: keyPath] }
}

extension Store {
    /// The most recent rows, newest first.
    public func recentLogs(limit: Int) throws -> [LogRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM generation_logs ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                var usage = UsageRecord(requestID: row["request_id"], route: row["route"])
                usage.createdAt = Date(timeIntervalSince1970: row["created_at"])
                usage.keyID = row["key_id"]
                usage.model = row["model"]
                usage.provider = row["provider"]
                usage.status = row["status"]
                usage.stream = row["stream"]
                usage.promptSummary = row["prompt_summary"]
                usage.promptTokens = row["prompt_tokens"]
                usage.completionTokens = row["completion_tokens"]
                usage.totalTokens = row["total_tokens"]
                usage.characters = row["characters"]
                usage.audioSeconds = row["audio_seconds"]
                usage.images = row["images"]
                usage.imageSize = row["image_size"]
                usage.ttfbMs = row["ttfb_ms"]
                usage.latencyMs = row["latency_ms"]
                usage.bytesIn = row["bytes_in"]
                usage.bytesOut = row["bytes_out"]
                usage.error = row["error"]
                return LogRow(id: row["id"], usage: usage)
            }

        }
    }
}
