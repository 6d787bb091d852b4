import ChorusMedia
import Crypto
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Images Chorus serves for `url` answers. Blobs are content-addressed (`<sha256>.<ext>`, so the same image stored
/// twice is kept once), in the database or under `media_dir` (`blob_storage`); each answer gets its own unguessable
/// id (`img_` + 32 hex digits, 128 random bits) and expiry in the `media` table. Ids are checked against that shape
/// before any lookup, and blob names come only from the table, so no request can name a path.
///
/// As a `Service` it sweeps expired rows and their orphaned blobs when the server starts and every
/// `sweepInterval` after, so no request waits for a sweep.
public final class MediaStore: Service, Sendable {
    let store: any GatewayStorage
    let blobs: any BlobStore
    let ttl: Double
    private let logger: Logger
    static let sweepInterval: Duration = .seconds(60)

    public init(store: any GatewayStorage, blobs: any BlobStore, ttlSeconds: Double,
                logger: Logger = Logger(label: "chorus.media")) {
        self.store = store
        self.blobs = blobs
        self.ttl = ttlSeconds
        self.logger = logger
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

    /// Stores the blob (once per content) and a row that expires `ttl` seconds from now, recording `ownerKeyID`
    /// (the key whose request made the image; nil for the master key). `GET /v1/media/{id}` does not check the
    /// owner — an <img> tag has no key to send, and the id is the secret — the owner is kept for reports and listings.
    public func save(_ bytes: [UInt8], format: ImageFormat, ownerKeyID: Int64?, requestID: String? = nil, now: Date = Date()) async throws -> MediaRecord {
        // Megabytes of hashing: on the thread pool, off the caller's executor.
        let sha = try await NIOThreadPool.singleton.runIfActive { Hex.encode(SHA256.hash(data: bytes)) }
        let name = sha + "." + format.fileExtension
        try await blobs.put(bytes, name: name)
        let created = now.timeIntervalSince1970
        let record = MediaRecord(id: Self.makeID(), sha256: sha, contentType: format.contentType, fileName: name,
                                 bytes: bytes.count, createdAt: created, expiresAt: created + ttl, ownerKeyID: ownerKeyID,
                                 requestID: requestID)
        try await store.insertMedia(record)
        // A sweep that ran between the put and the insert may have removed an expired twin's blob (it was then no
        // live row's). Checked after the insert, when no later sweep can take it: the rare rewrite puts it back.
        if try await !blobs.contains(name) { try await blobs.put(bytes, name: name) }
        return record
    }

    /// The live record and its bytes, or nil for a malformed, unknown or expired id.
    public func lookup(_ id: String, now: Date = Date()) async throws -> (record: MediaRecord, bytes: [UInt8])? {
        guard Self.isValidID(id), let record = try await store.media(id: id) else { return nil }
        guard record.expiresAt > now.timeIntervalSince1970, let bytes = try await blobs.get(record.fileName) else { return nil }
        return (record, bytes)
    }

    /// Deletes expired rows, then every blob no live row points at. Returns how many blobs went.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Int {
        let orphans = try await store.deleteExpiredMedia(now: now.timeIntervalSince1970)
        guard !orphans.isEmpty else { return 0 }
        return try await blobs.remove(orphans)
    }
}
