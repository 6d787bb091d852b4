import Foundation

/// The storage named by the config's `database`: a file path opens (and migrates) a SQLite database. A URL such as
/// `postgres://…` names a backend this build does not have, and is refused rather than taken for a file name.
public func openStorage(database: String) throws -> any GatewayStorage {
    if let separator = database.range(of: "://") {
        let scheme = database[..<separator.lowerBound]
        if !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
            throw StorageError.unsupportedDatabase(scheme: String(scheme))
        }
    }
    return try SQLiteStore(path: database)
}
