import PostgresNIO

/// The chat API's conversations as SQL, as in `SQLiteStore+Conversations`: every read takes the owner (`IS NOT
/// DISTINCT FROM`: NULL is the master key's own), and a turn is written in one transaction with the conversation's
/// row locked, so two replicas continuing one conversation append in turn.
extension PostgresStore {
    public func appendTurn(_ turn: ConversationTurn) async throws -> StoredTurn? {
        try await Self.described {
            try await pool.withTransaction(logger: logger) { [self] connection in
                var conversation: ConversationRecord
                if let id = turn.conversationID {
                    guard let owned = try await fetch(ConversationRecord.self, """
                        SELECT * FROM conversations WHERE id = \(id) AND owner_key_id IS NOT DISTINCT FROM \(turn.ownerKeyID) FOR UPDATE
                        """, on: connection).first else { return nil }
                    conversation = owned
                } else {
                    let title = ConversationRecord.title(for: turn.userMessage)
                    var id: Int64 = 0
                    for try await inserted in try await connection.query("""
                        INSERT INTO conversations (owner_key_id, title, model, created_at, updated_at, message_count)
                        VALUES (\(turn.ownerKeyID), \(title), \(turn.model), \(turn.at), \(turn.at), 0) RETURNING id
                        """, logger: logger).decode(Int64.self) { id = inserted }
                    conversation = ConversationRecord(id: id, ownerKeyID: turn.ownerKeyID, title: title, model: turn.model,
                                                      createdAt: turn.at, updatedAt: turn.at, messageCount: 0)
                }
                let userID = try await insertMessage(conversation.id, role: .user, content: turn.userMessage, model: nil,
                                                     tokens: turn.promptTokens, at: turn.at, on: connection)
                let assistantID = try await insertMessage(conversation.id, role: .assistant, content: turn.assistantMessage,
                                                          model: turn.model, tokens: turn.completionTokens, at: turn.at, on: connection)
                conversation.model = turn.model
                conversation.updatedAt = max(conversation.updatedAt, turn.at)
                conversation.messageCount += 2
                try await connection.query("""
                    UPDATE conversations SET model = \(conversation.model), updated_at = \(conversation.updatedAt),
                        message_count = \(Int64(conversation.messageCount)) WHERE id = \(conversation.id)
                    """, logger: logger)
                return StoredTurn(conversation: conversation, userMessageID: userID, assistantMessageID: assistantID)
            }
        }
    }

    private func insertMessage(_ conversationID: Int64, role: ChatMessageRecord.Role, content: String, model: String?,
                               tokens: Int?, at: Double, on connection: PostgresConnection) async throws -> Int64 {
        var id: Int64 = 0
        for try await inserted in try await connection.query("""
            INSERT INTO chat_messages (conversation_id, role, content, model, tokens, created_at)
            VALUES (\(conversationID), \(role.rawValue), \(content), \(model), \(tokens.map(Int64.init)), \(at)) RETURNING id
            """, logger: logger).decode(Int64.self) { id = inserted }
        return id
    }

    public func conversation(id: Int64, ownerKeyID: Int64?) async throws -> ConversationRecord? {
        try await Self.described {
            try await fetch(ConversationRecord.self, """
                SELECT * FROM conversations WHERE id = \(id) AND owner_key_id IS NOT DISTINCT FROM \(ownerKeyID)
                """).first
        }
    }

    public func conversations(ownerKeyID: Int64?, limit: Int, offset: Int) async throws -> ConversationPage {
        try await Self.described {
            try await pool.withConnection { [self] connection in
                let page = try await fetch(ConversationRecord.self, """
                    SELECT * FROM conversations WHERE owner_key_id IS NOT DISTINCT FROM \(ownerKeyID)
                    ORDER BY updated_at DESC, id DESC LIMIT \(Int64(max(0, limit))) OFFSET \(Int64(max(0, offset)))
                    """, on: connection)
                var total = 0
                for try await count in try await connection.query("""
                    SELECT COUNT(*) FROM conversations WHERE owner_key_id IS NOT DISTINCT FROM \(ownerKeyID)
                    """, logger: logger).decode(Int.self) { total = count }
                return ConversationPage(conversations: page, total: total)
            }
        }
    }

    public func messages(conversationID: Int64, ownerKeyID: Int64?, last limit: Int) async throws -> [ChatMessageRecord]? {
        try await Self.described {
            try await pool.withConnection { [self] connection in
                var owned = false
                for try await _ in try await connection.query("""
                    SELECT id FROM conversations WHERE id = \(conversationID) AND owner_key_id IS NOT DISTINCT FROM \(ownerKeyID)
                    """, logger: logger).decode(Int64.self) { owned = true }
                guard owned else { return nil }
                let newestFirst = try await fetch(ChatMessageRecord.self, """
                    SELECT * FROM chat_messages WHERE conversation_id = \(conversationID) ORDER BY id DESC LIMIT \(Int64(max(0, limit)))
                    """, on: connection)
                return Array(newestFirst.reversed())
            }
        }
    }
}
