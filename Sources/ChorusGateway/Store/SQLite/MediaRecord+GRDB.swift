import GRDB

extension MediaRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "media"
}

extension MediaRecord.CodingKeys: ColumnExpression {}
