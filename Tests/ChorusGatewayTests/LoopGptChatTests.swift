@testable import ChorusGateway
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// The LoopGpt-style chat API (`/api/v1/chat/send`, `/api/v1/chat/conversations…`) against the in-process mock
/// upstream: conversations per key with their history sent upstream, that API's envelope and error shape, and
/// the same model resolution, points and usage rows as the OpenAI routes.
@Suite struct LoopGptChatTests {
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    static func config(_ change: @escaping @Sendable (inout GatewayConfig) -> Void = { _ in }) -> @Sendable (Int) -> GatewayConfig {
        { port in
            var config = testConfig(upstreamPort: port)
            if let index = config.models.firstIndex(where: { $0.name == "gpt-test" }) { config.models[index].slug = "gpt-test-slug" }
            change(&config)
            return config
        }
    }

    static func send(_ client: any TestClientProtocol, key: String = masterKey, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/chat/send", method: .post,
                                 headers: [apiKeyHeader: key, .contentType: "application/json"], body: ByteBuffer(string: body))
    }

    static func get(_ client: any TestClientProtocol, key: String = masterKey, _ path: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/chat/" + path, method: .get, headers: [apiKeyHeader: key])
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(String(buffer: response.body))")
    }

    /// The `data` of a success envelope (checking the envelope on the way).
    static func data(_ response: TestResponse) throws -> [String: Any] {
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let body = try object(response)
        #expect(body["success"] as? Bool == true)
        #expect(body["message"] as? String == "Success")
        return try #require(body["data"] as? [String: Any])
    }

    /// `{"success": false, "message": ...}` with `status`; returns the message.
    @discardableResult
    static func failure(_ response: TestResponse, _ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        let body = try object(response)
        #expect(body["success"] as? Bool == false, sourceLocation: sourceLocation)
        #expect(body["error"] == nil, sourceLocation: sourceLocation)
        return try #require(body["message"] as? String, sourceLocation: sourceLocation)
    }

    /// The `messages` of an upstream chat request, as (role, content) pairs.
    static func upstreamMessages(_ received: MockUpstream.Received?) throws -> [[String]] {
        let body = try #require(received?.body)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let messages = try #require(json["messages"] as? [[String: Any]])
        return messages.map { [$0["role"] as? String ?? "?", $0["content"] as? String ?? "?"] }
    }

    // MARK: conversations

    @Test func secondTurnSendsTheFirstTurnUpstreamAsHistory() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            let first = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "What is two plus two?"}"#))
            #expect(first["response"] as? String == "Hello there.")
            #expect(first["message"] as? String == "Hello there.")
            let conversation = try #require(first["conversation_id"] as? Int)
            #expect(try Self.upstreamMessages(mock.lastReceived) == [["user", "What is two plus two?"]])
            #expect(mock.lastReceived?.path == "/v1/chat/completions")

            let second = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "And times three?", "conversation_id": \#(conversation)}"#))
            #expect(second["conversation_id"] as? Int == conversation)
            #expect(second["response"] as? String == "Hello there.")
            #expect((second["assistant_message_id"] as? Int ?? 0) > (first["assistant_message_id"] as? Int ?? 0))
            #expect(try Self.upstreamMessages(mock.lastReceived) == [
                ["user", "What is two plus two?"], ["assistant", "Hello there."], ["user", "And times three?"],
            ])
            // Sent as the model's upstream name, not streamed, with the model's and provider's defaults.
            let body = try #require(try JSONSerialization.jsonObject(with: Data((mock.lastReceived?.body ?? "").utf8)) as? [String: Any])
            #expect(body["model"] as? String == "upstream-model")
            #expect(body["stream"] as? Bool != true)
            #expect(body["temperature"] as? Double == 0.5)

            let shown = try Self.data(try await Self.get(client, "conversations/\(conversation)"))
            #expect(shown["id"] as? Int == conversation)
            #expect(shown["message_count"] as? Int == 4)
            #expect(shown["title"] as? String == "What is two plus two?")
            let messages = try #require(shown["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "user", "assistant"])
            #expect(messages.map { $0["content"] as? String ?? "" } == ["What is two plus two?", "Hello there.", "And times three?", "Hello there."])
            #expect(messages[3]["id"] as? Int == second["assistant_message_id"] as? Int)
        }
    }

    @Test func anotherKeyGets404ReadingOrContinuingAConversation() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            let (alice, _) = try await TenancyTests.createKey(client, #"{"name":"alice"}"#)
            let (bob, _) = try await TenancyTests.createKey(client, #"{"name":"bob"}"#)
            let started = try Self.data(try await Self.send(client, key: alice, #"{"model_id": "gpt-test", "message": "secret plans"}"#))
            let id = try #require(started["conversation_id"] as? Int)
            let calls = mock.received.count

            #expect(try Self.failure(try await Self.get(client, key: bob, "conversations/\(id)"), .notFound) == "Conversation not found")
            let continued = try await Self.send(client, key: bob, #"{"model_id": "gpt-test", "message": "tell me", "conversation_id": \#(id)}"#)
            #expect(try Self.failure(continued, .notFound) == "Conversation not found")
            #expect(mock.received.count == calls, "a refused continuation never reaches the provider")
            // Bob's and the master key's listings do not show it; the master key owns only its own conversations.
            #expect(try Self.data(try await Self.get(client, key: bob, "conversations"))["total"] as? Int == 0)
            #expect(try Self.data(try await Self.get(client, key: masterKey, "conversations"))["total"] as? Int == 0)
            #expect(try Self.failure(try await Self.get(client, key: masterKey, "conversations/\(id)"), .notFound) == "Conversation not found")
            // Alice still has it, unchanged.
            let shown = try Self.data(try await Self.get(client, key: alice, "conversations/\(id)"))
            #expect(shown["message_count"] as? Int == 2)
            #expect(try Self.failure(try await Self.get(client, key: alice, "conversations/abc"), .notFound) == "Conversation not found")
        }
    }

    @Test func modelIsFoundByCatalogIDSlugOrName() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            // gpt-test is the first configured model: catalog id 1.
            for modelID in ["1", "\"1\"", "\"gpt-test-slug\"", "\"gpt-test\""] {
                let data = try Self.data(try await Self.send(client, #"{"model_id": \#(modelID), "message": "hi"}"#))
                #expect(data["model"] as? String == "gpt-test", "\(modelID)")
                let body = try #require(try JSONSerialization.jsonObject(with: Data((mock.lastReceived?.body ?? "").utf8)) as? [String: Any])
                #expect(body["model"] as? String == "upstream-model", "\(modelID)")
            }
            #expect(try Self.failure(try await Self.send(client, #"{"model_id": "no-such-model", "message": "hi"}"#), .notFound)
                .contains("no-such-model"))
            #expect(try Self.failure(try await Self.send(client, #"{"model_id": 999, "message": "hi"}"#), .notFound).contains("999"))
        }
    }

    @Test func historySentUpstreamIsBoundedByMessagesAndCharacters() async throws {
        let config = Self.config { $0.server.chatHistoryMessages = 2 }
        try await withGateway(config: config) { client, _, mock in
            let first = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "one"}"#))
            let id = try #require(first["conversation_id"] as? Int)
            for text in ["two", "three"] {
                _ = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "\#(text)", "conversation_id": \#(id)}"#))
            }
            #expect(try Self.upstreamMessages(mock.lastReceived) == [["user", "two"], ["assistant", "Hello there."], ["user", "three"]])
        }
    }

    @Test func historyKeepsTheLatestWholeTurnsThatFitTheBudget() {
        func message(_ id: Int64, _ role: ChatMessageRecord.Role, _ text: String) -> ChatMessageRecord {
            ChatMessageRecord(id: id, conversationID: 1, role: role, content: text, createdAt: 0)
        }
        let stored = [message(1, .user, "aaaa"), message(2, .assistant, "bbbb"), message(3, .user, "cc"), message(4, .assistant, "dd")]
        func roles(_ history: ChatHistory) -> [String] { history.messages(from: stored).map { $0["content"]?.stringValue ?? "" } }
        #expect(roles(ChatHistory(maxMessages: 10, maxCharacters: 100)) == ["aaaa", "bbbb", "cc", "dd"])
        // 4 + 4 does not fit beside "cc" + "dd": the older turn goes whole.
        #expect(roles(ChatHistory(maxMessages: 10, maxCharacters: 7)) == ["cc", "dd"])
        // Three messages would start at an answer: the history starts at the next question instead.
        #expect(roles(ChatHistory(maxMessages: 3, maxCharacters: 100)) == ["cc", "dd"])
        #expect(roles(ChatHistory(maxMessages: 0, maxCharacters: 100)).isEmpty)
        #expect(roles(ChatHistory(maxMessages: 10, maxCharacters: 1)).isEmpty)
    }

    @Test func conversationsAreListedMostRecentFirstInClampedPages() async throws {
        try await withGateway(config: Self.config()) { client, _, _ in
            var ids: [Int] = []
            for text in ["first", "second", "third"] {
                ids.append(try #require(try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "\#(text)"}"#))["conversation_id"] as? Int))
            }
            // Continuing the first makes it the most recent.
            _ = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "again", "conversation_id": \#(ids[0])}"#))
            func page(_ query: String) async throws -> (ids: [Int], page: Int?, perPage: Int?, total: Int?) {
                let data = try Self.data(try await Self.get(client, "conversations" + query))
                let items = data["conversations"] as? [[String: Any]] ?? []
                return (items.compactMap { $0["id"] as? Int }, data["page"] as? Int, data["per_page"] as? Int, data["total"] as? Int)
            }
            let firstPage = try await page("?page=1&per_page=2")
            #expect(firstPage.ids == [ids[0], ids[2]])
            #expect(firstPage.total == 3)
            #expect(try await page("?page=2&per_page=2").ids == [ids[1]])
            #expect(try await page("?page=3&per_page=2").ids == [])
            let clamped = try await page("?page=0&per_page=100000")
            #expect(clamped.page == 1 && clamped.perPage == 100 && clamped.ids == [ids[0], ids[2], ids[1]])
            let defaults = try await page("?page=abc&per_page=-4")
            #expect(defaults.page == 1 && defaults.perPage == 1 && defaults.ids == [ids[0]])
            #expect(try await page("").perPage == 20)
            let listed = try #require(try Self.data(try await Self.get(client, "conversations"))["conversations"] as? [[String: Any]])
            #expect(listed.first?["title"] as? String == "first")
            #expect(listed.first?["message_count"] as? Int == 4)
            #expect(listed.first?["model"] as? String == "gpt-test")
        }
    }

    // MARK: points and usage

    @Test func sendWritesAUsageRowWithTokensAndCostAndAnswersThem() async throws {
        let config = Self.config { config in
            TenancyTests.setPrice(&config, model: "gpt-test") { price in
                price.per1kInputTokens = 1000   // 11 prompt tokens → 11
                price.per1kOutputTokens = 2000  // 3 completion tokens → 6
            }
        }
        try await withGateway(config: config) { client, gateway, _ in
            let (key, id) = try await TenancyTests.createKey(client, #"{"name":"tokens","balance":100}"#)
            let data = try Self.data(try await Self.send(client, key: key, #"{"model_id": "gpt-test-slug", "message": "count my tokens"}"#))
            let usage = try #require(data["usage"] as? [String: Any])
            #expect(usage["tokens"] as? Int == 14)
            #expect(usage["cost"] as? Double == 17)
            #expect((usage["latency_ms"] as? Int).map { $0 >= 0 } == true)
            let row = try #require(try await logRows(gateway).first { $0.route == "/chat/send" })
            #expect(row.status == 200)
            #expect(row.model == "gpt-test")
            #expect(row.provider == "mock")
            #expect(row.keyID == Int64(id))
            #expect(row.promptTokens == 11 && row.completionTokens == 3 && row.totalTokens == 14)
            #expect(row.cost == 17)
            #expect(row.promptSummary == "count my tokens")
            #expect(try await TenancyTests.showKey(client, id)["balance"] as? Double == 83)
        }
    }

    @Test func spentBalanceIs429NoPointsRemaining() async throws {
        let config = Self.config { TenancyTests.setPrice(&$0, model: "gpt-test") { $0.perRequest = 1 } }
        try await withGateway(config: config) { client, _, mock in
            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"one-point","balance":1}"#)
            let first = try Self.data(try await Self.send(client, key: key, #"{"model_id": "gpt-test", "message": "hi"}"#))
            #expect((first["usage"] as? [String: Any])?["cost"] as? Double == 1)
            let calls = mock.received.count
            let id = try #require(first["conversation_id"] as? Int)
            let refused = try await Self.send(client, key: key, #"{"model_id": "gpt-test", "message": "again", "conversation_id": \#(id)}"#)
            #expect(try Self.failure(refused, .tooManyRequests) == "No points remaining")
            #expect(mock.received.count == calls)
        }
    }

    // MARK: errors

    @Test func emptyMessageIs400() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            for message in ["\"\"", "\"  \\n \""] {
                let response = try await Self.send(client, #"{"model_id": "gpt-test", "message": \#(message)}"#)
                #expect(try Self.failure(response, .badRequest) == "Message cannot be empty")
            }
            #expect(mock.received.isEmpty)
        }
    }

    @Test func missingOrWrongTypedFieldsAre422NamingTheField() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            let cases: [(String, String)] = [
                (#"{"message": "hi"}"#, "model_id"),
                (#"{"model_id": null, "message": "hi"}"#, "model_id"),
                (#"{"model_id": true, "message": "hi"}"#, "model_id"),
                (#"{"model_id": ["gpt-test"], "message": "hi"}"#, "model_id"),
                (#"{"model_id": "gpt-test"}"#, "message"),
                (#"{"model_id": "gpt-test", "message": 42}"#, "message"),
                (#"{"model_id": "gpt-test", "message": "hi", "conversation_id": "abc"}"#, "conversation_id"),
                (#"{"model_id": "gpt-test", "message": "hi", "conversation_id": 1.5}"#, "conversation_id"),
                (#"{"model_id": "gpt-test", "message": "hi", "conversation_id": 0}"#, "conversation_id"),
            ]
            for (body, field) in cases {
                let message = try Self.failure(try await Self.send(client, body), .unprocessableContent)
                #expect(message.contains(field), "\(body): \(message)")
            }
            for body in [#"{"model_id": "gpt-test", "#, "", "not json", #"{"message": "a", "message": "b", "model_id": "gpt-test"}"#] {
                #expect(try Self.failure(try await Self.send(client, body), .unprocessableContent).contains("not valid JSON"), "\(body)")
            }
            #expect(try Self.failure(try await Self.send(client, "[1, 2]"), .unprocessableContent).contains("JSON object"))
            #expect(mock.received.isEmpty)
        }
    }

    @Test func badOrMissingKeyIs401InvalidAPIKey() async throws {
        try await withGateway(config: Self.config()) { client, _, _ in
            let wrong = try await Self.send(client, key: "sk-chorus-not-a-real-key", #"{"model_id": "gpt-test", "message": "hi"}"#)
            #expect(try Self.failure(wrong, .unauthorized) == "Invalid API key")
            let none = try await client.execute(uri: "/api/v1/chat/conversations", method: .get, headers: [:])
            #expect(try Self.failure(none, .unauthorized) == "Invalid API key")
        }
    }

    @Test func bearerKeyIsAcceptedToo() async throws {
        try await withGateway(config: Self.config()) { client, _, _ in
            let response = try await client.execute(uri: "/api/v1/chat/send", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model_id": "gpt-test", "message": "hi"}"#))
            #expect(try Self.data(response)["response"] as? String == "Hello there.")
        }
    }

    @Test func modelNotAllowedForTheKeyIs403() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"alias-only","models":["gpt-alias"]}"#)
            let message = try Self.failure(try await Self.send(client, key: key, #"{"model_id": "gpt-test", "message": "hi"}"#), .forbidden)
            #expect(message.contains("gpt-test"))
            #expect(mock.received.isEmpty)
            _ = try Self.data(try await Self.send(client, key: key, #"{"model_id": "gpt-alias", "message": "hi"}"#))
        }
    }

    @Test func rateLimitAndModelsWithoutChatAnswerInTheEnvelope() async throws {
        try await withGateway(config: Self.config()) { client, _, mock in
            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"one-a-minute","rpm":1}"#)
            _ = try Self.data(try await Self.send(client, key: key, #"{"model_id": "gpt-test", "message": "hi"}"#))
            let limited = try await Self.send(client, key: key, #"{"model_id": "gpt-test", "message": "again"}"#)
            #expect(try Self.failure(limited, .tooManyRequests).contains("Rate limit"))
            #expect(limited.headers[.retryAfter] != nil)
            // The embedded speech model has no chat: 501 without contacting any provider.
            let calls = mock.received.count
            let speech = try await Self.send(client, #"{"model_id": "local-tts", "message": "hi"}"#)
            #expect(try Self.failure(speech, .notImplemented).contains("local-tts"))
            #expect(mock.received.count == calls)
        }
    }

    @Test func upstreamDownIs502WithTheRequestIDAndLeavesTheConversationAsItWas() async throws {
        let config = Self.config { config in
            var dead = ProviderConfig(name: "dead", type: .openai)
            dead.baseURL = "http://127.0.0.1:1/v1"
            dead.connectTimeout = 2
            config.providers.append(dead)
            config.models.append(ModelConfig(name: "down", provider: "dead", model: "x"))
        }
        try await withGateway(config: config) { client, _, _ in
            let first = try Self.data(try await Self.send(client, #"{"model_id": "gpt-test", "message": "remember this"}"#))
            let id = try #require(first["conversation_id"] as? Int)

            let failed = try await Self.send(client, #"{"model_id": "down", "message": "lost question", "conversation_id": \#(id)}"#)
            let message = try Self.failure(failed, .badGateway)
            let requestID = try #require(failed.headers[HTTPField.Name("x-request-id")!])
            #expect(message.contains(requestID))
            #expect(try Self.object(failed)["request_id"] as? String == requestID)
            #expect(!message.contains("127.0.0.1") && !message.lowercased().contains("connect"), "\(message)")

            // No half turn: the failed question is not in the history, and a failed first message starts nothing.
            let shown = try Self.data(try await Self.get(client, "conversations/\(id)"))
            #expect(shown["message_count"] as? Int == 2)
            #expect((shown["messages"] as? [[String: Any]])?.count == 2)
            try Self.failure(try await Self.send(client, #"{"model_id": "down", "message": "nobody hears"}"#), .badGateway)
            #expect(try Self.data(try await Self.get(client, "conversations"))["total"] as? Int == 1)
        }
    }

    @Test func upstreamRefusalIsAnsweredInTheEnvelope() async throws {
        try await withGateway(config: Self.config()) { client, _, _ in
            // The mock's `fail` model answers 429.
            let config = try await Self.send(client, #"{"model_id": "fail", "message": "hi"}"#)
            try Self.failure(config, .tooManyRequests)
            // `html` answers 503 with a page: a 502 naming the request id, none of the page.
            let html = try await Self.send(client, #"{"model_id": "html", "message": "hi"}"#)
            let message = try Self.failure(html, .badGateway)
            #expect(message.contains("request id") && !message.contains("<html>"))
            #expect(try Self.data(try await Self.get(client, "conversations"))["total"] as? Int == 0)
        }
    }

    @Test func chatCompletionsBesideTheChatAPIKeepsOpenAIErrors() async throws {
        try await withGateway(config: Self.config()) { client, _, _ in
            let response = try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: bearer("sk-chorus-wrong"),
                                                    body: ByteBuffer(string: #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#))
            #expect(response.status == .unauthorized)
            let body = try Self.object(response)
            #expect(body["success"] == nil)
            #expect(try errorBody(response).code == "invalid_api_key")
            let ok = try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                              body: ByteBuffer(string: #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#))
            #expect(ok.status == .ok)
            let missing = try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"messages":[]}"#))
            #expect(try errorBody(missing).param == "model")
        }
    }
}
