import GRDB

extension VoiceRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "voices"
}

extension VoiceRecord.CodingKeys: ColumnExpression {}
