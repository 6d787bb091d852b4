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

    // MARK: Usage rows

    public func appendUsage(_ rows: [UsageRecord]) async throws {
        do {
            try await pool.write { db in
                for row in rows { try row.insert(db) }
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
