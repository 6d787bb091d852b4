import Foundation
import Logging

/// The storage named by the config's `database`: a `postgres://` (or `postgresql://`) URL opens the shared
/// PostgreSQL backend (connected and migrated before this returns: an unreachable server or a refused login is an
/// error naming the URL without its password); a file path opens (and migrates) a SQLite database. Another URL
/// scheme is refused rather than taken for a file name.
public func openStorage(database: String, logger: Logger = Logger(label: "chorus.storage")) async throws -> any GatewayStorage {
    if PostgresLocation.isPostgres(database) {
        return try await PostgresStore.open(url: database, logger: logger)
    }
    if let separator = database.range(of: "://") {
        let scheme = database[..<separator.lowerBound]
        if !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
            throw StorageError.unsupportedDatabase(scheme: String(scheme))
        }
    }
    return try SQLiteStore(path: database)
}
