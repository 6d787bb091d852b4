import NIOCore
import PostgresNIO

extension PostgresStore {
    public func putBlob(_ bytes: [UInt8], bucket: BlobBucket, name: String) async throws {
        try await Self.described {
            try await pool.query("""
                INSERT INTO blobs (bucket, name, bytes) VALUES (\(bucket.rawValue), \(name), \(ByteBuffer(bytes: bytes)))
                ON CONFLICT (bucket, name) DO NOTHING
                """, logger: logger)
        }
    }

    public func blob(bucket: BlobBucket, name: String) async throws -> [UInt8]? {
        try await Self.described {
            var found: [UInt8]?
            let rows = try await pool.query("SELECT bytes FROM blobs WHERE bucket = \(bucket.rawValue) AND name = \(name)", logger: logger)
            for buffer in try rows.decode(ByteBuffer.self) { found = Array(buffer.readableBytesView) }
            return found
        }
    }

    public func hasBlob(bucket: BlobBucket, name: String) async throws -> Bool {
        try await Self.described {
            var found = false
            let rows = try await pool.query("SELECT 1 FROM blobs WHERE bucket = \(bucket.rawValue) AND name = \(name)", logger: logger)
            for _ in try rows.decode(Int32.self) { found = true }
            return found
        }
    }

    public func deleteBlobs(bucket: BlobBucket, names: Set<String>) async throws -> Int {
        guard !names.isEmpty else { return 0 }
        return try await Self.described {
            var deleted = 0
            let rows = try await pool.query("DELETE FROM blobs WHERE bucket = \(bucket.rawValue) AND name = ANY(\(Array(names))) RETURNING 1",
                                              logger: logger)
            for _ in try rows.decode(Int32.self) { deleted += 1 }
            return deleted
        }
    }
}
