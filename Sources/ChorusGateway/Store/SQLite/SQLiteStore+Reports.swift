import Foundation
import GRDB

/// Usage reports as SQL: filters become one WHERE clause shared by the row pages and the totals, so a report and
/// the rows it sums always select the same rows.
extension SQLiteStore {
    public func usageRows(_ query: UsageQuery) async throws -> [LogRow] {
        var (conditions, arguments) = Self.conditions(query)
        let order: String
        switch query.order {
        case .newestFirst(let before):
            if let before { conditions.append("l.id < ?"); arguments += [before] }
            order = "l.id DESC"
        case .oldestFirst(let after):
            if let after { conditions.append("l.id > ?"); arguments += [after] }
            order = "l.id ASC"
        }
        arguments += [max(0, query.limit)]
        let sql = "SELECT l.* FROM generation_logs l \(Self.whereClause(conditions)) ORDER BY \(order) LIMIT ?"
        let bound = arguments
        return try await pool.read { db in try LogRow.fetchAll(db, sql: sql, arguments: bound) }
    }

    public func usageTotals(groupedBy grouping: UsageGrouping, _ query: UsageQuery) async throws -> [UsageTotals] {
        let (conditions, arguments) = Self.conditions(query)
        let group: String
        switch grouping {
        // Rows without a valid key are their own group, not the master key's.
        case .key: group = "CASE WHEN l.unauthenticated = 1 THEN 'none' ELSE l.key_id END"
        case .model: group = "l.model"
        // SQLite's date functions work in UTC: the day a row belongs to does not depend on the server's zone.
        case .day: group = "strftime('%Y-%m-%d', l.created_at, 'unixepoch')"
        case .route: group = "l.route"
        }
        let join = grouping == .key ? "LEFT JOIN api_keys k ON k.id = l.key_id" : ""
        let sql = """
            SELECT \(group) AS grp, \(grouping == .key ? "MAX(k.name)" : "NULL") AS key_name, COUNT(*) AS requests,
                   COALESCE(SUM(l.prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(l.completion_tokens), 0) AS completion_tokens,
                   COALESCE(SUM(l.total_tokens), 0) AS total_tokens, COALESCE(SUM(l.characters), 0) AS characters,
                   TOTAL(l.audio_seconds) AS audio_seconds, COALESCE(SUM(l.images), 0) AS images, TOTAL(l.cost) AS cost,
                   COALESCE(SUM(l.status >= 400), 0) AS errors
            FROM generation_logs l \(join) \(Self.whereClause(conditions))
            GROUP BY grp ORDER BY grp
            """
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let value: DatabaseValue = row["grp"]
                let groupText: String? = switch value.storage {
                case .null: nil
                case .int64(let id): String(id)
                default: String.fromDatabaseValue(value)
                }
                var totals = UsageTotals(group: groupText, keyName: row["key_name"])
                totals.requests = row["requests"]
                totals.promptTokens = row["prompt_tokens"]
                totals.completionTokens = row["completion_tokens"]
                totals.totalTokens = row["total_tokens"]
                totals.characters = row["characters"]
                totals.audioSeconds = row["audio_seconds"]
                totals.images = row["images"]
                totals.cost = row["cost"]
                totals.errors = row["errors"]
                return totals
            }
        }
    }

    public func deleteUsage(before cutoff: Date, limit: Int) async throws -> Int {
        try await pool.write { db in
            // The oldest first, through the created_at index: each call is one short transaction.
            try db.execute(sql: """
                DELETE FROM generation_logs WHERE id IN (
                    SELECT id FROM generation_logs WHERE created_at < ? ORDER BY created_at LIMIT ?)
                """, arguments: [cutoff.timeIntervalSince1970, max(0, limit)])
            return db.changesCount
        }
    }

    /// The query's filters as SQL conditions on `generation_logs l`, values bound, never spliced.
    static func conditions(_ query: UsageQuery) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        switch query.key {
        case .key(let id)?: conditions.append("l.key_id = ?"); arguments += [id]
        case .master?: conditions.append("l.key_id IS NULL AND l.unauthenticated = 0")
        case .unauthenticated?: conditions.append("l.unauthenticated = 1")
        case nil: break
        }
        if let model = query.model { conditions.append("l.model = ?"); arguments += [model] }
        if let route = query.route { conditions.append("l.route = ?"); arguments += [route] }
        if let requestID = query.requestID { conditions.append("l.request_id = ?"); arguments += [requestID] }
        if let status = query.status {
            conditions.append("l.status >= ? AND l.status < ?")
            arguments += [status.range.lowerBound, status.range.upperBound]
        }
        if let since = query.since { conditions.append("l.created_at >= ?"); arguments += [since.timeIntervalSince1970] }
        if let until = query.until { conditions.append("l.created_at < ?"); arguments += [until.timeIntervalSince1970] }
        return (conditions, arguments)
    }

    static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }
}
