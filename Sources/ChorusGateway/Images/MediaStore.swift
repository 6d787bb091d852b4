import ChorusMedia
import Crypto
import Foundation
import GRDB
import NIOConcurrencyHelpers

/// A stored image handed out as `public_url/v1/media/{id}`.
public struct MediaRecord: Sendable, Equatable {
    public var id: String
    public var sha256: String
    public var contentType: String
    public var fileName: String
    public var bytes: Int
    public var createdAt: Double
    public var expiresAt: Double
}

/// Images Chorus serves for `url` answers. Files are content-addressed (`<sha256>.<ext>` under the media
/// directory, so the same image stored twice takes one file); each answer gets its own unguessable id
/// (`img_` + 32 hex digits, 128 random bits) and expiry in the `media` table. Ids are checked against that shape
/// before any lookup, and file names come only from the table, so no request can name a path.
public final class MediaStore: Sendable {
    let store: Store
    let directory: URL
    let ttl: Double
    private let lastSweep = NIOLockedValueBox<Double>(0)
    /// Expired rows and their orphaned files are swept at most this often, from `save`.
    static let sweepInterval = 60.0

    public init(store: Store, directory: String, ttlSeconds: Double) throws {
        self.store = store
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.ttl = ttlSeconds
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    public static func isValidID(_ id: String) -> Bool {
        let hex = id.utf8.dropFirst(4)
        return id.hasPrefix("img_") && hex.count == 32 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high: UInt64 = generator.next()
        let low: UInt64 = generator.next()
        return "img_" + hex64(high) + hex64(low)
    }

    private static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Writes the file (once per content) and a row that expires `ttl` seconds from now. Blocking: call off the
    /// event loop.
    public func save(_ bytes: [UInt8], format: ImageFormat, now: Date = Date()) throws -> MediaRecord {
        let sha = SHA256.hash(data: bytes).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        let fileName = sha + "." + format.fileExtension
        let url = directory.appendingPathComponent(fileName)
        if !FileManager.default.fileExists(atPath: url.path) {
            // Atomic so a reader never sees half a file, and a concurrent save of the same image is harmless.
            try Data(bytes).write(to: url, options: .atomic)
        }
        let created = now.timeIntervalSince1970
        let record = MediaRecord(id: Self.makeID(), sha256: sha, contentType: format.contentType, fileName: fileName,
                                 bytes: bytes.count, createdAt: created, expiresAt: created + ttl)
        try store.pool.write { db in
            try db.execute(
                sql: "INSERT INTO media (id, sha256, content_type, file_name, bytes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [record.id, record.sha256, record.contentType, record.fileName, record.bytes, record.createdAt, record.expiresAt])
        }
        // A sweep that ran between the existence check and the insert may have removed an expired twin's file.
        if !FileManager.default.fileExists(atPath: url.path) { try Data(bytes).write(to: url, options: .atomic) }
        sweepIfDue(now: now)
        return record
    }

    /// The live record and its file, or nil for a malformed, unknown or expired id.
    public func lookup(_ id: String, now: Date = Date()) throws -> (record: MediaRecord, file: URL)? {
        guard Self.isValidID(id) else { return nil }
        let row = try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM media WHERE id = ?", arguments: [id])
        }
        guard let row else { return nil }
        let record = MediaRecord(id: row["id"], sha256: row["sha256"], contentType: row["content_type"],
                                 fileName: row["file_name"], bytes: row["bytes"], createdAt: row["created_at"],
                                 expiresAt: row["expires_at"])
        guard record.expiresAt > now.timeIntervalSince1970 else { return nil }
        return (record, directory.appendingPathComponent(record.fileName))
    }

    /// Deletes expired rows, then every file no live row points at. Returns how many files went.
    @discardableResult
    public func sweep(now: Date = Date()) throws -> Int {
        let cutoff = now.timeIntervalSince1970
        let (expiredFiles, liveFiles) = try store.pool.write { db -> (Set<String>, Set<String>) in
            let expired = try String.fetchSet(db, sql: "SELECT file_name FROM media WHERE expires_at <= ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM media WHERE expires_at <= ?", arguments: [cutoff])
            let live = try String.fetchSet(db, sql: "SELECT DISTINCT file_name FROM media")
            return (expired, live)
        }
        var removed = 0
        for name in expiredFiles.subtracting(liveFiles) {
            if (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil { removed += 1 }
        }
        return removed
    }

    private func sweepIfDue(now: Date) {
        let due = lastSweep.withLockedValue { last in
            guard now.timeIntervalSince1970 - last >= Self.sweepInterval else { return false }
            last = now.timeIntervalSince1970
            return true
        }
        if due { _ = try? sweep(now: now) }
    }
}
