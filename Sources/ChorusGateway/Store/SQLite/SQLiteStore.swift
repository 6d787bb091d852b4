import Foundation
import GRDB

/// The embedded storage backend: one SQLite file through a GRDB DatabasePool in WAL mode, so the usage writer
/// never blocks key lookups. Every SQL statement the gateway runs is in this folder.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool
    public let path: String

    /// - Parameter busyTimeout: how long a write waits for another connection's lock before failing with SQLITE_BUSY
    ///   (the usage writer then keeps its rows for the next flush).
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "chorus"
        // WAL with synchronous=NORMAL: a commit is appended to the log without an fsync (checkpoints still sync),
        // so the database stays consistent on a crash and loses at most the last commits on a power cut — usage
        // rows and point holds that were in flight anyway. FULL fsynced every admission of a metered key
        // (bench/limits: ~300 µs each, a quarter of the master key's throughput).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        try Self.migrator.migrate(pool)
    }
}
