import Foundation
import GRDB

extension SQLiteStore {
    public func putBlob(_ bytes: [UInt8], bucket: BlobBucket, name: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO blobs (bucket, name, bytes) VALUES (?, ?, ?) ON CONFLICT (bucket, name) DO NOTHING",
                           arguments: [bucket.rawValue, name, Data(bytes)])
        }
    }

    public func blob(bucket: BlobBucket, name: String) async throws -> [UInt8]? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM blobs WHERE bucket = ? AND name = ?", arguments: [bucket.rawValue, name]).map(Array.init)
        }
    }

    public func hasBlob(bucket: BlobBucket, name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM blobs WHERE bucket = ? AND name = ?)", arguments: [bucket.rawValue, name]) ?? false
        }
    }

    public func deleteBlobs(bucket: BlobBucket, names: Set<String>) async throws -> Int {
        guard !names.isEmpty else { return 0 }
        return try await pool.write { db in
            var deleted = 0
            for name in names {
                try db.execute(sql: "DELETE FROM blobs WHERE bucket = ? AND name = ?", arguments: [bucket.rawValue, name])
                deleted += db.changesCount
            }
            return deleted
        }
    }
}
