import Foundation
import GRDB

/// The storage operations as GRDB record requests. Reads go to the pool's readers, writes to its one writer;
/// GRDB's async access runs them on its own queues, off the caller's executor.
extension SQLiteStore: GatewayStorage {
    // MARK: API keys

    public func insertKey(_ key: APIKeyRecord) async throws -> APIKeyRecord {
        try await pool.write { db in
            var inserted = key
            try inserted.insert(db)
            return inserted
        }
    }

    public func listKeys() async throws -> [APIKeyRecord] {
        try await pool.read { db in try APIKeyRecord.order(APIKeyRecord.CodingKeys.id).fetchAll(db) }
    }

    public func findKey(hash: String) async throws -> APIKeyRecord? {
        try await pool.read { db in try APIKeyRecord.filter(APIKeyRecord.CodingKeys.keyHash == hash).fetchOne(db) }
    }

    public func revokeKey(id: Int64, at date: Date) async throws -> Bool {
        try await pool.write { db in
            let active = APIKeyRecord.filter(APIKeyRecord.CodingKeys.id == id && APIKeyRecord.CodingKeys.revokedAt == nil)
            return try active.updateAll(db, APIKeyRecord.CodingKeys.revokedAt.set(to: date.timeIntervalSince1970)) > 0
        }
    }

    public func key(id: Int64) async throws -> APIKeyRecord? {
        try await pool.read { db in try APIKeyRecord.fetchOne(db, key: id) }
    }

    public func updateKey(id: Int64, _ changes: KeyChanges, now: Double) async throws -> APIKeyRecord? {
        try await pool.write { db in
            guard var key = try APIKeyRecord.fetchOne(db, key: id) else { return nil }
            changes.apply(to: &key, now: now)
            try key.update(db)
            return key
        }
    }

    public func reserve(keyID: Int64, amount: Double, now: Double) async throws -> Admission {
        try await pool.write { db in
            guard var key = try APIKeyRecord.fetchOne(db, key: keyID) else { return .insufficientBalance(retryAfter: nil) }
            let before = key
            let admission = key.reserve(amount, now: now)
            if key != before { try key.update(db) }
            return admission
        }
    }

    // MARK: Usage rows

    public func appendUsage(_ rows: [UsageRecord]) async throws {
        do {
            try await pool.write { db in
                // Prepared once per connection (cached), not once per row.
                let insert = try db.cachedStatement(sql: UsageRecord.insertSQL)
                for row in rows {
                    // Written already (a batch retried after a write whose outcome was unknown): neither inserted
                    // nor settled again.
                    guard try row.insert(with: insert, in: db) else { continue }
                    let cost = row.cost ?? 0
                    guard let keyID = row.keyID, row.reserved != 0 || cost != 0 else { continue }
                    // One statement, the arithmetic of `APIKeyRecord.settle`: no read between the rows of a batch.
                    try db.cachedStatement(sql: """
                        UPDATE api_keys SET balance = CASE WHEN balance IS NULL THEN NULL ELSE balance + ? - ? END,
                            period_spent = MAX(0, period_spent + ? - ?), spent = spent + ? WHERE id = ?
                        """).execute(arguments: [row.reserved, cost, cost, row.reserved, cost, keyID])
                }
            }
        } catch let error as DatabaseError where Self.refusesRow(error) {
            throw StorageError.rowRefused(error)
        }
    }

    public func recentUsage(limit: Int) async throws -> [LogRow] {
        try await pool.read { db in try LogRow.order(LogRow.CodingKeys.id.desc).limit(limit).fetchAll(db) }
    }

    /// Errors about the row itself, which no retry can fix (as opposed to busy, locked, full, I/O).
    static func refusesRow(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_CONSTRAINT, .SQLITE_TOOBIG, .SQLITE_MISMATCH, .SQLITE_RANGE: true
        default: false
        }
    }

    // MARK: Custom voices

    public func insertVoice(_ voice: VoiceRecord) async throws {
        try await pool.write { db in try voice.insert(db) }
    }

    public func listVoices() async throws -> [VoiceRecord] {
        try await pool.read { db in
            try VoiceRecord.order(VoiceRecord.CodingKeys.createdAt, VoiceRecord.CodingKeys.id).fetchAll(db)
        }
    }

    public func voice(id: String) async throws -> VoiceRecord? {
        try await pool.read { db in try VoiceRecord.fetchOne(db, key: id) }
    }

    public func deleteVoice(id: String) async throws -> Bool {
        try await pool.write { db in try VoiceRecord.deleteOne(db, key: id) }
    }

    // MARK: Stored media

    public func insertMedia(_ media: MediaRecord) async throws {
        try await pool.write { db in try media.insert(db) }
    }

    public func media(id: String) async throws -> MediaRecord? {
        try await pool.read { db in try MediaRecord.fetchOne(db, key: id) }
    }

    public func media(requestIDs: [String]) async throws -> [MediaRecord] {
        guard !requestIDs.isEmpty else { return [] }
        return try await pool.read { db in
            try MediaRecord.filter(requestIDs.contains(MediaRecord.CodingKeys.requestID)).order(MediaRecord.CodingKeys.createdAt).fetchAll(db)
        }
    }

    public func deleteExpiredMedia(now: Double) async throws -> Set<String> {
        try await pool.write { db in
            let expired = MediaRecord.filter(MediaRecord.CodingKeys.expiresAt <= now)
            let expiredFiles = try expired.select(MediaRecord.CodingKeys.fileName, as: String.self).fetchSet(db)
            try expired.deleteAll(db)
            let liveFiles = try MediaRecord.select(MediaRecord.CodingKeys.fileName, as: String.self).distinct().fetchSet(db)
            return expiredFiles.subtracting(liveFiles)
        }
    }
}
