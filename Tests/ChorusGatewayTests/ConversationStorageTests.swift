@testable import ChorusGateway
import Foundation
import Testing

/// What any `GatewayStorage` must do with the chat API's conversations, run here against SQLite (the same checks
/// a second backend runs against its own store, as in `GatewayStorageTests`).
@Suite struct ConversationStorageTests {
    static func turn(_ conversation: Int64?, owner: Int64?, _ user: String, at: Double, model: String = "m") -> ConversationTurn {
        ConversationTurn(conversationID: conversation, ownerKeyID: owner, model: model, userMessage: user, assistantMessage: "re: " + user,
                         promptTokens: 10, completionTokens: 2, at: at)
    }

    @Test(arguments: StorageBackend.available)
    func aTurnStartsAConversationThatOnlyItsOwnerContinuesOrReads(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let started = try #require(try await store.appendTurn(Self.turn(nil, owner: 7, "hello", at: 100)))
            let id = started.conversation.id
            #expect(started.conversation == ConversationRecord(id: id, ownerKeyID: 7, title: "hello", model: "m", createdAt: 100,
                                                               updatedAt: 100, messageCount: 2))
            #expect(started.assistantMessageID == started.userMessageID + 1)

            // Another key, or the master key (owner nil), cannot continue or read it, and nothing is written.
            #expect(try await store.appendTurn(Self.turn(id, owner: 8, "intruder", at: 101)) == nil)
            #expect(try await store.appendTurn(Self.turn(id, owner: nil, "master", at: 101)) == nil)
            #expect(try await store.appendTurn(Self.turn(id + 100, owner: 7, "nowhere", at: 101)) == nil)
            #expect(try await store.conversation(id: id, ownerKeyID: 8) == nil)
            #expect(try await store.conversation(id: id, ownerKeyID: nil) == nil)
            #expect(try await store.messages(conversationID: id, ownerKeyID: 8, last: 100) == nil)
            #expect(try await store.messages(conversationID: id, ownerKeyID: nil, last: 100) == nil)
            #expect(try await store.messages(conversationID: id, ownerKeyID: 7, last: 100)?.count == 2)

            let continued = try #require(try await store.appendTurn(Self.turn(id, owner: 7, "again", at: 102, model: "other")))
            #expect(continued.conversation.messageCount == 4)
            #expect(continued.conversation.updatedAt == 102)
            #expect(continued.conversation.model == "other")
            #expect(continued.conversation.title == "hello")
            #expect(try await store.conversation(id: id, ownerKeyID: 7) == continued.conversation)

            let all = try #require(try await store.messages(conversationID: id, ownerKeyID: 7, last: 100))
            #expect(all.map(\.content) == ["hello", "re: hello", "again", "re: again"])
            #expect(all.map(\.role) == [.user, .assistant, .user, .assistant])
            #expect(all[1] == ChatMessageRecord(id: started.assistantMessageID, conversationID: id, role: .assistant, content: "re: hello",
                                                model: "m", tokens: 2, createdAt: 100))
            #expect(all[0].tokens == 10 && all[0].model == nil)
            #expect(try await store.messages(conversationID: id, ownerKeyID: 7, last: 3)?.map(\.content) == ["re: hello", "again", "re: again"])
            #expect(try await store.messages(conversationID: id, ownerKeyID: 7, last: 0)?.isEmpty == true)
        }
    }

    @Test(arguments: StorageBackend.available)
    func theMasterKeysConversationsAreItsOwn(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let mine = try #require(try await store.appendTurn(Self.turn(nil, owner: nil, "from the master key", at: 1)))
            #expect(try await store.conversation(id: mine.conversation.id, ownerKeyID: nil) != nil)
            #expect(try await store.conversation(id: mine.conversation.id, ownerKeyID: 1) == nil)
            #expect(try await store.appendTurn(Self.turn(mine.conversation.id, owner: nil, "more", at: 2))?.conversation.messageCount == 4)
            #expect(try await store.conversations(ownerKeyID: 1, limit: 10, offset: 0).total == 0)
            #expect(try await store.conversations(ownerKeyID: nil, limit: 10, offset: 0).conversations.map(\.id) == [mine.conversation.id])
        }
    }

    @Test(arguments: StorageBackend.available)
    func conversationsArePagedMostRecentlyContinuedFirstPerOwner(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            var ids: [Int64] = []
            for (index, text) in ["a", "b", "c"].enumerated() {
                ids.append(try #require(try await store.appendTurn(Self.turn(nil, owner: 3, text, at: Double(index + 1)))).conversation.id)
            }
            _ = try await store.appendTurn(Self.turn(nil, owner: 4, "someone else", at: 10))
            _ = try await store.appendTurn(Self.turn(ids[0], owner: 3, "a again", at: 5))
            let all = try await store.conversations(ownerKeyID: 3, limit: 10, offset: 0)
            #expect(all.total == 3)
            #expect(all.conversations.map(\.id) == [ids[0], ids[2], ids[1]])
            let second = try await store.conversations(ownerKeyID: 3, limit: 2, offset: 2)
            #expect(second == ConversationPage(conversations: [all.conversations[2]], total: 3))
            #expect(try await store.conversations(ownerKeyID: 3, limit: 2, offset: 10).conversations.isEmpty)
        }
    }

    @Test func aTitleIsTheFirstLineOfTheFirstMessageCut() {
        #expect(ConversationRecord.title(for: "  Plan a trip\nto Lisbon") == "Plan a trip")
        let long = String(repeating: "x", count: 200)
        #expect(ConversationRecord.title(for: long).count == ConversationRecord.maxTitleCharacters)
        #expect(ConversationRecord.title(for: long).hasSuffix("…"))
    }
}
