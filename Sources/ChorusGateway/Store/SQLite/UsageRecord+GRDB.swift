import Foundation
import GRDB

/// `created_at` is Unix seconds (DOUBLE), as the v1 migration's column expects.
extension UsageRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "generation_logs"

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

extension LogRow: FetchableRecord, TableRecord {
    public static let databaseTableName = UsageRecord.databaseTableName

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

extension LogRow.CodingKeys: ColumnExpression {}
