import GRDB

/// The chat API's conversations. The owner is compared with `IS`, SQLite's null-safe equality, so the master
/// key's conversations (owner NULL) are found by the master key and by no key.
extension SQLiteStore {
    public func appendTurn(_ turn: ConversationTurn) async throws -> StoredTurn? {
        try await pool.write { db in
            var conversation: ConversationRecord
            if let id = turn.conversationID {
                guard let owned = try Self.owned(id: id, by: turn.ownerKeyID, db) else { return nil }
                conversation = owned
            } else {
                conversation = ConversationRecord(id: 0, ownerKeyID: turn.ownerKeyID, title: ConversationRecord.title(for: turn.userMessage),
                                                  model: turn.model, createdAt: turn.at, updatedAt: turn.at, messageCount: 0)
                try conversation.insert(db)
            }
            var user = ChatMessageRecord(id: 0, conversationID: conversation.id, role: .user, content: turn.userMessage,
                                         tokens: turn.promptTokens, createdAt: turn.at)
            try user.insert(db)
            var assistant = ChatMessageRecord(id: 0, conversationID: conversation.id, role: .assistant, content: turn.assistantMessage,
                                              model: turn.model, tokens: turn.completionTokens, createdAt: turn.at)
            try assistant.insert(db)
            conversation.model = turn.model
            conversation.updatedAt = max(conversation.updatedAt, turn.at)
            conversation.messageCount += 2
            try conversation.update(db)
            return StoredTurn(conversation: conversation, userMessageID: user.id, assistantMessageID: assistant.id)
        }
    }

    public func conversation(id: Int64, ownerKeyID: Int64?) async throws -> ConversationRecord? {
        try await pool.read { db in try Self.owned(id: id, by: ownerKeyID, db) }
    }

    public func conversations(ownerKeyID: Int64?, limit: Int, offset: Int) async throws -> ConversationPage {
        try await pool.read { db in
            let owned = ConversationRecord.filter(sql: "owner_key_id IS ?", arguments: [ownerKeyID])
            let page = try owned
                .order(ConversationRecord.CodingKeys.updatedAt.desc, ConversationRecord.CodingKeys.id.desc)
                .limit(max(0, limit), offset: max(0, offset))
                .fetchAll(db)
            return ConversationPage(conversations: page, total: try owned.fetchCount(db))
        }
    }

    public func messages(conversationID: Int64, ownerKeyID: Int64?, last limit: Int) async throws -> [ChatMessageRecord]? {
        try await pool.read { db in
            guard try Self.owned(id: conversationID, by: ownerKeyID, db) != nil else { return nil }
            let newestFirst = try ChatMessageRecord
                .filter(ChatMessageRecord.CodingKeys.conversationID == conversationID)
                .order(ChatMessageRecord.CodingKeys.id.desc)
                .limit(max(0, limit))
                .fetchAll(db)
            return newestFirst.reversed()
        }
    }

    private static func owned(id: Int64, by ownerKeyID: Int64?, _ db: Database) throws -> ConversationRecord? {
        try ConversationRecord
            .filter(ConversationRecord.CodingKeys.id == id)
            .filter(sql: "owner_key_id IS ?", arguments: [ownerKeyID])
            .fetchOne(db)
    }
}
