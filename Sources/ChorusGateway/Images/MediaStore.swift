import ChorusMedia
import Crypto
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Images Chorus serves for `url` answers. Files are content-addressed (`<sha256>.<ext>` under the media
/// directory, so the same image stored twice takes one file); each answer gets its own unguessable id
/// (`img_` + 32 hex digits, 128 random bits) and expiry in the `media` table. Ids are checked against that shape
/// before any lookup, and file names come only from the table, so no request can name a path.
///
/// As a `Service` it sweeps expired rows and their orphaned files when the server starts and every
/// `sweepInterval` after, so no request waits for a sweep.
public final class MediaStore: Service, Sendable {
    let store: any GatewayStorage
    let directory: URL
    let ttl: Double
    private let logger: Logger
    static let sweepInterval: Duration = .seconds(60)

    public init(store: any GatewayStorage, directory: String, ttlSeconds: Double,
                logger: Logger = Logger(label: "chorus.media")) throws {
        self.store = store
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.ttl = ttlSeconds
        self.logger = logger
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await self.sweep() } catch is CancellationError {
                    // The server is stopping (a port that was busy stops it before the first sweep ends): not a failure.
                    break
                } catch {
                    self.logger.warning("media sweep failed; expired images stay until the next one", metadata: ["chorus.error": "\(error)"])
                }
                try? await Task.sleep(for: Self.sweepInterval)
            }
        }
    }

    public static func isValidID(_ id: String) -> Bool {
        let hex = id.utf8.dropFirst(4)
        return id.hasPrefix("img_") && hex.count == 32 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func makeID() -> String { "img_" + Hex.random(digits: 32) }

    /// Writes the file (once per content, on the NIO thread pool) and a row that expires `ttl` seconds from now,
    /// recording `ownerKeyID` (the key whose request made the image; nil for the master key). `GET /v1/media/{id}`
    /// does not check the owner — an <img> tag has no key to send, and the id is the secret — the owner is kept
    /// for reports and listings.
    public func save(_ bytes: [UInt8], format: ImageFormat, ownerKeyID: Int64?, now: Date = Date()) async throws -> MediaRecord {
        let directory = self.directory
        let (sha, fileName) = try await NIOThreadPool.singleton.runIfActive { () throws -> (String, String) in
            let sha = Hex.encode(SHA256.hash(data: bytes))
            let fileName = sha + "." + format.fileExtension
            let url = directory.appendingPathComponent(fileName)
            if !FileManager.default.fileExists(atPath: url.path) {
                // Atomic so a reader never sees half a file, and a concurrent save of the same image is harmless.
                try Data(bytes).write(to: url, options: .atomic)
            }
            return (sha, fileName)
        }
        let created = now.timeIntervalSince1970
        let record = MediaRecord(id: Self.makeID(), sha256: sha, contentType: format.contentType, fileName: fileName,
                                 bytes: bytes.count, createdAt: created, expiresAt: created + ttl, ownerKeyID: ownerKeyID)
        try await store.insertMedia(record)
        // A sweep that ran between the existence check and the insert may have removed an expired twin's file. The
        // check is one stat; the rare rewrite goes back to the thread pool.
        let url = directory.appendingPathComponent(fileName)
        if !FileManager.default.fileExists(atPath: url.path) {
            try await NIOThreadPool.singleton.runIfActive { try Data(bytes).write(to: url, options: .atomic) }
        }
        return record
    }

    /// The live record and where its file is, or nil for a malformed, unknown or expired id.
    public func lookup(_ id: String, now: Date = Date()) async throws -> (record: MediaRecord, file: URL)? {
        guard Self.isValidID(id), let record = try await store.media(id: id) else { return nil }
        guard record.expiresAt > now.timeIntervalSince1970 else { return nil }
        return (record, directory.appendingPathComponent(record.fileName))
    }

    /// Deletes expired rows, then every file no live row points at. Returns how many files went.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Int {
        let orphans = try await store.deleteExpiredMedia(now: now.timeIntervalSince1970)
        guard !orphans.isEmpty else { return 0 }
        let directory = self.directory
        return try await NIOThreadPool.singleton.runIfActive {
            var removed = 0
            for name in orphans where (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil {
                removed += 1
            }
            return removed
        }
    }
}
