import GRDB

/// A draft (id 0) leaves the id to the database; `didInsert` takes it back.
extension ChatMessageRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "chat_messages"

    public func encode(to container: inout PersistenceContainer) throws {
        if id != 0 { container[CodingKeys.id] = id }
        container[CodingKeys.conversationID] = conversationID
        container[CodingKeys.role] = role
        container[CodingKeys.content] = content
        container[CodingKeys.model] = model
        container[CodingKeys.tokens] = tokens
        container[CodingKeys.createdAt] = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension ChatMessageRecord.CodingKeys: ColumnExpression {}

/// Stored as its raw text (`user`, `assistant`).
extension ChatMessageRecord.Role: DatabaseValueConvertible {}
