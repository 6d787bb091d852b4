import Foundation
import PostgresNIO

/// Usage reports as SQL, as in `SQLiteStore+Reports`: one WHERE clause shared by the row pages and the totals.
extension PostgresStore {
    public func usageRows(_ query: UsageQuery) async throws -> [LogRow] {
        try await Self.described {
            var filter = Filter(query)
            let order: String
            switch query.order {
            case .newestFirst(let before):
                if let before { filter.add("l.id < ", before) }
                order = "l.id DESC"
            case .oldestFirst(let after):
                if let after { filter.add("l.id > ", after) }
                order = "l.id ASC"
            }
            let limit = filter.bind(Int64(max(0, query.limit)))
            let sql = "SELECT l.* FROM generation_logs l \(filter.whereClause) ORDER BY \(order) LIMIT \(limit)"
            return try await fetch(LogRow.self, PostgresQuery(unsafeSQL: sql, binds: filter.bindings))
        }
    }

    public func usageTotals(groupedBy grouping: UsageGrouping, _ query: UsageQuery) async throws -> [UsageTotals] {
        try await Self.described {
            let filter = Filter(query)
            let group: String = switch grouping {
            // Rows without a valid key are their own group, not the master key's.
            case .key: "CASE WHEN l.unauthenticated THEN 'none' ELSE l.key_id::text END"
            case .model: "l.model"
            // The day in UTC, whatever the server's zone.
            case .day: "to_char(to_timestamp(l.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            case .route: "l.route"
            }
            let join = grouping == .key ? "LEFT JOIN api_keys k ON k.id = l.key_id" : ""
            // Sums of BIGINT are NUMERIC in PostgreSQL: cast back so they read as integers.
            let sql = """
                SELECT \(group) AS grp, \(grouping == .key ? "MAX(k.name)" : "NULL::text") AS key_name, COUNT(*) AS requests,
                       COALESCE(SUM(l.prompt_tokens), 0)::bigint, COALESCE(SUM(l.completion_tokens), 0)::bigint,
                       COALESCE(SUM(l.total_tokens), 0)::bigint, COALESCE(SUM(l.characters), 0)::bigint,
                       COALESCE(SUM(l.audio_seconds), 0)::float8, COALESCE(SUM(l.images), 0)::bigint,
                       COALESCE(SUM(l.cost), 0)::float8, COUNT(*) FILTER (WHERE l.status >= 400)
                FROM generation_logs l \(join) \(filter.whereClause)
                GROUP BY grp ORDER BY grp NULLS FIRST
                """
            var totals: [UsageTotals] = []
            let rows = try await pool.query(PostgresQuery(unsafeSQL: sql, binds: filter.bindings), logger: logger)
            for (group, keyName, requests, prompt, completion, total, characters, audio, images, cost, errors)
                in try rows.decode((String?, String?, Int, Int, Int, Int, Int, Double, Int, Double, Int).self) {
                var entry = UsageTotals(group: group, keyName: keyName)
                entry.requests = requests
                entry.promptTokens = prompt
                entry.completionTokens = completion
                entry.totalTokens = total
                entry.characters = characters
                entry.audioSeconds = audio
                entry.images = images
                entry.cost = cost
                entry.errors = errors
                totals.append(entry)
            }
            return totals
        }
    }

    public func deleteUsage(before cutoff: Date, limit: Int) async throws -> Int {
        try await Self.described {
            let rows = try await pool.query("""
                DELETE FROM generation_logs WHERE id IN (
                    SELECT id FROM generation_logs WHERE created_at < \(cutoff.timeIntervalSince1970) ORDER BY created_at LIMIT \(Int64(max(0, limit))))
                RETURNING id
                """, logger: logger)
            var deleted = 0
            for _ in try rows.decode(Int64.self) { deleted += 1 }
            return deleted
        }
    }

    /// The query's filters as conditions on `generation_logs l`, values bound as `$n`, never spliced.
    struct Filter {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        private var count = 0

        init(_ query: UsageQuery) {
            switch query.key {
            case .key(let id)?: add("l.key_id = ", id)
            case .master?: conditions.append("l.key_id IS NULL AND NOT l.unauthenticated")
            case .unauthenticated?: conditions.append("l.unauthenticated")
            case nil: break
            }
            if let model = query.model { add("l.model = ", model) }
            if let route = query.route { add("l.route = ", route) }
            if let requestID = query.requestID { add("l.request_id = ", requestID) }
            if let status = query.status {
                let low = bind(Int64(status.range.lowerBound))
                let high = bind(Int64(status.range.upperBound))
                conditions.append("l.status >= \(low) AND l.status < \(high)")
            }
            if let since = query.since { add("l.created_at >= ", since.timeIntervalSince1970) }
            if let until = query.until { add("l.created_at < ", until.timeIntervalSince1970) }
        }

        /// Binds `value` and returns its placeholder.
        mutating func bind<Bound: PostgresNonThrowingEncodable>(_ value: Bound) -> String {
            bindings.append(value)
            count += 1
            return "$\(count)"
        }

        mutating func add<Bound: PostgresNonThrowingEncodable>(_ condition: String, _ value: Bound) {
            conditions.append(condition + bind(value))
        }

        var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
    }
}
