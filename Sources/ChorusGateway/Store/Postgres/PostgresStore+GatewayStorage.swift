import Foundation
import Logging
import PostgresNIO

/// The storage operations as SQL on one pooled connection each. What SQLite serialises with its one writer,
/// PostgreSQL serialises per key with row locks (`SELECT … FOR UPDATE` in a transaction): two replicas admitting
/// calls of one key take turns on its row, so a balance for 10 calls admits exactly 10 whichever replica asks.
extension PostgresStore: GatewayStorage {
    // MARK: helpers

    func fetch<Record: Decodable>(_ type: Record.Type, _ query: PostgresQuery, on connection: PostgresConnection) async throws -> [Record] {
        var records: [Record] = []
        for try await row in try await connection.query(query, logger: logger) {
            records.append(try PostgresRowCoding.decode(Record.self, from: row))
        }
        return records
    }

    func fetch<Record: Decodable & Sendable>(_ type: Record.Type, _ query: PostgresQuery) async throws -> [Record] {
        try await pool.withConnection { [self] connection in try await fetch(type, query, on: connection) }
    }

    /// `INSERT` of the record's encoded columns; with `returning`, that column of the new row.
    func insert(_ record: some Encodable, into table: String, on connection: PostgresConnection) async throws {
        let (names, bindings) = try PostgresRowCoding.columns(of: record)
        let placeholders = (1...names.count).map { "$\($0)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(placeholders))"
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// `UPDATE table SET <every column but id> WHERE id = <id>`: the record's encoded values, and NULL for the
    /// `columns` it leaves out (a record encodes a nil member by leaving it out: a limit removed must be cleared).
    func update(_ record: some Encodable, in table: String, columns: [String], id: Int64, on connection: PostgresConnection) async throws {
        var (names, bindings) = try PostgresRowCoding.columns(of: record, excluding: "id")
        var sets = names.enumerated().map { "\($1) = $\($0 + 1)" }
        sets += columns.filter { $0 != "id" && !names.contains($0) }.map { "\($0) = NULL" }
        bindings.append(id)
        names.append("id")
        let sql = "UPDATE \(table) SET \(sets.joined(separator: ", ")) WHERE id = $\(names.count)"
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// Every column of `api_keys` (the migrations' schema).
    static let apiKeyColumns = [
        "name", "key_hash", "key_hint", "rpm", "models", "expires_at", "created_at", "revoked_at", "max_concurrency", "balance",
        "balance_reset", "balance_refill", "balance_reset_at", "budget", "budget_period", "period_start", "period_spent", "spent",
    ]

    // MARK: API keys

    public func insertKey(_ key: APIKeyRecord) async throws -> APIKeyRecord {
        try await Self.described {
            var draft = key
            draft.id = 0
            let (names, bindings) = try PostgresRowCoding.columns(of: draft)
            let placeholders = (1...names.count).map { "$\($0)" }.joined(separator: ", ")
            let sql = "INSERT INTO api_keys (\(names.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING id"
            let rows = try await pool.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            var inserted = key
            for id in try rows.decode(Int64.self) { inserted.id = id }
            return inserted
        }
    }

    public func listKeys() async throws -> [APIKeyRecord] {
        try await Self.described {
            try await fetch(APIKeyRecord.self, "SELECT * FROM api_keys ORDER BY id")
        }
    }

    public func findKey(hash: String) async throws -> APIKeyRecord? {
        try await Self.described {
            try await fetch(APIKeyRecord.self, "SELECT * FROM api_keys WHERE key_hash = \(hash)").first
        }
    }

    public func revokeKey(id: Int64, at date: Date) async throws -> Bool {
        try await Self.described {
            let rows = try await pool.query("""
                UPDATE api_keys SET revoked_at = \(date.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING id
                """, logger: logger)
            var revoked = false
            for _ in try rows.decode(Int64.self) { revoked = true }
            return revoked
        }
    }

    public func key(id: Int64) async throws -> APIKeyRecord? {
        try await Self.described {
            try await fetch(APIKeyRecord.self, "SELECT * FROM api_keys WHERE id = \(id)").first
        }
    }

    public func updateKey(id: Int64, _ changes: KeyChanges, now: Double) async throws -> APIKeyRecord? {
        try await Self.described {
            try await pool.withTransaction(logger: logger) { [self] connection in
                guard var key = try await fetch(APIKeyRecord.self, "SELECT * FROM api_keys WHERE id = \(id) FOR UPDATE", on: connection).first else {
                    return nil
                }
                changes.apply(to: &key, now: now)
                try await update(key, in: "api_keys", columns: Self.apiKeyColumns, id: id, on: connection)
                return key
            }
        }
    }

    public func reserve(keyID: Int64, amount: Double, now: Double) async throws -> Admission {
        try await Self.described {
            // A key with a plain balance (no refill, no budget) — the common metered key — is held in one
            // statement, one round trip: the UPDATE's own row lock orders it with every other replica's, and its
            // WHERE is `APIKeyRecord.reserve`'s test. Anything else, or a balance that does not cover the call (whose
            // answer needs the refill time), takes the transaction below with the Swift arithmetic.
            let held = try await pool.query("""
                UPDATE api_keys SET balance = balance - \(amount)
                WHERE id = \(keyID) AND balance IS NOT NULL AND balance_reset IS NULL AND budget IS NULL AND budget_period IS NULL
                  AND CASE WHEN \(amount) > 0 THEN balance >= \(amount) - 1e-9 ELSE balance > 1e-9 END
                RETURNING id
                """, logger: logger)
            for _ in try held.decode(Int64.self) { return Admission.admitted }
            return try await pool.withTransaction(logger: logger) { [self] connection in
                guard var key = try await fetch(APIKeyRecord.self, "SELECT * FROM api_keys WHERE id = \(keyID) FOR UPDATE", on: connection).first else {
                    return .insufficientBalance(retryAfter: nil)
                }
                let before = key
                let admission = key.reserve(amount, now: now)
                if key != before { try await update(key, in: "api_keys", columns: Self.apiKeyColumns, id: keyID, on: connection) }
                return admission
            }
        }
    }

    // MARK: Usage rows

    public func appendUsage(_ rows: [UsageRecord]) async throws {
        try await Self.described {
            do {
                try await pool.withTransaction(logger: logger) { [self] connection in
                    // Rows go in multi-row INSERTs (at most 65 535 bound values a statement: 500 rows of 25 columns
                    // stay well under): one round trip per 500 rows, where one per row fell behind a busy replica.
                    // A row already written (a batch retried after a commit whose reply was lost) is skipped by its
                    // `entry_id` and not settled again.
                    let columns = UsageRecord.CodingKeys.allCases.map(\.stringValue)
                    var inserted = Set<String>()
                    var start = 0
                    while start < rows.count {
                        let chunk = rows[start..<min(start + 500, rows.count)]
                        let (values, bindings) = try PostgresRowCoding.rows(of: Array(chunk), columns: columns)
                        let sql = "INSERT INTO generation_logs (\(columns.joined(separator: ", "))) VALUES \(values) ON CONFLICT (entry_id) DO NOTHING RETURNING entry_id"
                        let written = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                        for try await entry in written.decode(String?.self) { if let entry { inserted.insert(entry) } }
                        start += chunk.count
                    }
                    for row in rows where row.entryID.map(inserted.contains) ?? true {
                        let cost = row.cost ?? 0
                        guard let keyID = row.keyID, row.reserved != 0 || cost != 0 else { continue }
                        // The arithmetic of `APIKeyRecord.settle`, in one statement.
                        try await connection.query("""
                            UPDATE api_keys SET balance = CASE WHEN balance IS NULL THEN NULL ELSE balance + \(row.reserved) - \(cost) END,
                                period_spent = GREATEST(0, period_spent + \(cost) - \(row.reserved)), spent = spent + \(cost) WHERE id = \(keyID)
                            """, logger: logger)
                    }
                }
            } catch where Self.refusesRow(error) {
                throw StorageError.rowRefused(error)
            }
        }
    }

    public func recentUsage(limit: Int) async throws -> [LogRow] {
        try await Self.described {
            try await fetch(LogRow.self, "SELECT * FROM generation_logs ORDER BY id DESC LIMIT \(limit)")
        }
    }

    // MARK: Custom voices

    public func insertVoice(_ voice: VoiceRecord) async throws {
        try await Self.described {
            try await pool.withConnection { [self] connection in try await insert(voice, into: "voices", on: connection) }
        }
    }

    public func listVoices() async throws -> [VoiceRecord] {
        try await Self.described {
            try await fetch(VoiceRecord.self, "SELECT * FROM voices ORDER BY created_at, id")
        }
    }

    public func voice(id: String) async throws -> VoiceRecord? {
        try await Self.described {
            try await fetch(VoiceRecord.self, "SELECT * FROM voices WHERE id = \(id)").first
        }
    }

    public func deleteVoice(id: String) async throws -> Bool {
        try await Self.described {
            var deleted = false
            for _ in try await pool.query("DELETE FROM voices WHERE id = \(id) RETURNING id", logger: logger).decode(String.self) {
                deleted = true
            }
            return deleted
        }
    }

    // MARK: Stored media

    public func insertMedia(_ media: MediaRecord) async throws {
        try await Self.described {
            try await pool.withConnection { [self] connection in try await insert(media, into: "media", on: connection) }
        }
    }

    public func media(id: String) async throws -> MediaRecord? {
        try await Self.described {
            try await fetch(MediaRecord.self, "SELECT * FROM media WHERE id = \(id)").first
        }
    }

    public func media(requestIDs: [String]) async throws -> [MediaRecord] {
        guard !requestIDs.isEmpty else { return [] }
        return try await Self.described {
            try await fetch(MediaRecord.self, "SELECT * FROM media WHERE request_id = ANY(\(requestIDs)) ORDER BY created_at")
        }
    }

    public func deleteExpiredMedia(now: Double) async throws -> Set<String> {
        try await Self.described {
            try await pool.withTransaction(logger: logger) { [self] connection in
                var expired: Set<String> = []
                for try await name in try await connection.query("DELETE FROM media WHERE expires_at <= \(now) RETURNING file_name", logger: logger)
                    .decode(String.self) {
                    expired.insert(name)
                }
                guard !expired.isEmpty else { return [] }
                var live: Set<String> = []
                for try await name in try await connection.query("SELECT DISTINCT file_name FROM media", logger: logger).decode(String.self) {
                    live.insert(name)
                }
                return expired.subtracting(live)
            }
        }
    }
}
