import Foundation
import GRDB

/// Dates are stored as Unix seconds (DOUBLE), as the v1 migration's columns expect.
extension APIKeyRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "api_keys"

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension APIKeyRecord.CodingKeys: ColumnExpression {}
