import GRDB

/// A draft (id 0) leaves the id to the database (`didInsert` takes it back); a stored row names itself, so an
/// update finds it.
extension ConversationRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "conversations"

    public func encode(to container: inout PersistenceContainer) throws {
        if id != 0 { container[CodingKeys.id] = id }
        container[CodingKeys.ownerKeyID] = ownerKeyID
        container[CodingKeys.title] = title
        container[CodingKeys.model] = model
        container[CodingKeys.createdAt] = createdAt
        container[CodingKeys.updatedAt] = updatedAt
        container[CodingKeys.messageCount] = messageCount
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension ConversationRecord.CodingKeys: ColumnExpression {}
