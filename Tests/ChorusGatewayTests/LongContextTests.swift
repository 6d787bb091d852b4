@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite(.timeLimit(.minutes(2)))
struct LongContextTests {
    static let context = 8192

    /// `gpt-test` with an 8192-token context, and `model` (when given) with `contextLength`.
    static func config(port: Int, model: String? = nil, contextLength: Int = 1024) -> GatewayConfig {
        var config = testConfig(upstreamPort: port)
        for index in config.models.indices {
            if config.models[index].name == "gpt-test" { config.models[index].contextLength = context }
            if config.models[index].name == model { config.models[index].contextLength = contextLength }
        }
        return config
    }

    /// 200 000 characters of numbered paragraphs: each sentence says which paragraph it is in.
    static let longText: String = {
        var text = ""
        var paragraph = 0
        while text.utf8.count < 200_000 {
            paragraph += 1
            for sentence in 1...6 {
                text += "Paragraph \(paragraph), sentence \(sentence): the harbour logs note the tide and the weather. "
            }
            text += "\n\n"
        }
        return String(text.prefix(200_000))
    }()

    static func post(_ client: any TestClientProtocol, _ body: [String: Any], key: String = masterKey) async throws -> TestResponse {
        try await client.execute(uri: "/lollms/v1/long_context_process", method: .post, headers: bearer(key),
                                 body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
    }

    static func chatRequests(_ mock: MockUpstream) throws -> [(system: String, user: String, maxTokens: Int?)] {
        try mock.received.filter { $0.path == "/v1/chat/completions" }.map { received in
            let json = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
            let messages = try #require(json["messages"] as? [[String: Any]])
            return (messages.first?["content"] as? String ?? "", messages.last?["content"] as? String ?? "", json["max_tokens"] as? Int)
        }
    }

    @Test func aTwoHundredThousandCharacterTextIsMappedChunkByChunkThenReducedEachCallWithinTheContext() async throws {
        try await withGateway(config: { Self.config(port: $0) }) { client, gateway, mock in
            let text = Self.longText
            #expect(text.count == 200_000)
            let response = try await Self.post(client, ["model": "gpt-test", "text": text, "prompt": "List every tide mentioned."])
            #expect(response.status == .ok)
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let chunks = try #require(answer["chunks"] as? Int)
            let plan = try LongContextPlan(contextLength: Self.context, maxGenerationTokens: nil, prompt: "List every tide mentioned.")
            // At least the bytes over one call's budget, and not many more: chunks end at paragraph breaks.
            #expect(chunks >= (text.utf8.count + plan.inputBytes - 1) / plan.inputBytes && chunks <= text.utf8.count / plan.inputBytes + 2)
            #expect(answer["text"] as? String == "Hello there.")

            let calls = try Self.chatRequests(mock)
            let maps = calls.filter { $0.user.contains("--- Part ") }
            let reduces = calls.filter { $0.user.contains("--- Result 1 ---") }
            #expect(maps.count == chunks)
            #expect(reduces.count == 1, "\(chunks) short partial results fit one combining call")
            #expect(calls.count == chunks + 1)
            // Every byte of the text reached exactly one map call (they run four at a time: in any order).
            let pieces = try (1...chunks).map { part in
                let marker = "--- Part \(part) of \(chunks) ---\n"
                let call = try #require(maps.first { $0.user.contains(marker) })
                let range = try #require(call.user.range(of: marker))
                return String(call.user[range.upperBound...])
            }
            #expect(pieces.joined() == text)
            #expect(pieces.dropLast().allSatisfy { $0.hasSuffix("\n\n") }, "chunks end at paragraph breaks")
            for call in calls {
                let tokens = LongContextPlan.tokens(call.system) + LongContextPlan.tokens(call.user)
                #expect(tokens + (call.maxTokens ?? 0) <= Self.context, "a call of ~\(tokens) tokens + its answer fits the context")
            }
            #expect(reduces.first?.user.contains("--- Result \(chunks) ---") == true)

            let usage = try #require(answer["usage"] as? [String: Any])
            #expect(usage["calls"] as? Int == chunks + 1 && usage["map_calls"] as? Int == chunks && usage["reduce_calls"] as? Int == 1)
            #expect(usage["prompt_tokens"] as? Int == 11 * (chunks + 1), "the provider's own counts, summed")

            // One row per model call under the request's id, and the request's own row.
            let requestID = try #require(response.headers[HTTPField.Name("x-request-id")!])
            let rows = try await logRows(gateway, atLeast: chunks + 2).filter { $0.requestID == requestID }
            #expect(rows.filter { $0.route == "/chat/completions" }.count == chunks + 1)
            #expect(rows.filter { $0.route == "/lollms/long_context_process" }.count == 1)
            #expect(rows.allSatisfy { $0.status == 200 && $0.model == "gpt-test" })
        }
    }

    @Test func aStreamedRequestReportsEachCallThenTheResult() async throws {
        try await withGateway(config: { Self.config(port: $0) }) { client, _, _ in
            let text = String(Self.longText.prefix(60_000))
            let response = try await Self.post(client, ["model": "gpt-test", "text": text, "prompt": "Summarise.", "stream": true])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
                try #require(try JSONSerialization.jsonObject(with: Data(event.dropFirst("data: ".count).utf8)) as? [String: Any])
            }
            let done = try #require(events.last)
            #expect(done["type"] as? String == "long_context.done")
            let chunks = try #require(done["chunks"] as? Int)
            #expect(chunks >= 2)
            let progress = events.dropLast()
            #expect(progress.filter { $0["stage"] as? String == "map" }.map { $0["completed"] as? Int } == (1...chunks).map { $0 })
            #expect(progress.filter { $0["stage"] as? String == "reduce" }.count == 1)
            #expect(!String(buffer: response.body).contains("chorus."), "no playground events outside /api/playground")
        }
    }

    @Test func aTextThatFitsOneCallIsAskedDirectly() async throws {
        try await withGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let response = try await Self.post(client, ["model": "gpt-test", "text": "A short note.", "prompt": "Translate to French."])
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(answer["chunks"] as? Int == 1)
            let calls = try Self.chatRequests(mock)
            #expect(calls.count == 1)
            #expect(calls.first?.user == "Translate to French.\n\nA short note.")
        }
    }

    @Test(arguments: [
        (["model": "gpt-test", "prompt": "x"], "text"),
        (["model": "gpt-test", "text": "x"], "prompt"),
        (["model": "gpt-test", "text": "", "prompt": "x"], "text"),
        (["model": "gpt-test", "text": "x", "prompt": "x", "max_generation_tokens": 0], "max_generation_tokens"),
        (["model": "gpt-test", "text": "x", "prompt": "x", "max_generation_tokens": 5000], "max_generation_tokens"),
        (["model": "gpt-test", "text": "x", "prompt": String(repeating: "long prompt ", count: 3000)], "prompt"),
        (["model": 7, "text": "x", "prompt": "x"], "model"),
    ] as [([String: any Sendable], String)])
    func badInputIs400NamingTheFieldAndNoModelIsCalled(body: [String: any Sendable], param: String) async throws {
        try await withGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let response = try await Self.post(client, body)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == param)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func anUnknownModelIs404AndATextOverTheBodyLimitIs413() async throws {
        try await withGateway(config: { port in
            var config = Self.config(port: port)
            config.server.maxBodyMB = 1
            return config
        }) { client, _, mock in
            let unknown = try await Self.post(client, ["model": "nope", "text": "x", "prompt": "x"])
            #expect(unknown.status == .notFound)
            let huge = try await Self.post(client, ["model": "gpt-test", "text": String(repeating: "a", count: 1_500_000), "prompt": "x"])
            #expect(huge.status == .contentTooLarge)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func aFailingModelFailsTheRequestWithItsStatusAndEveryCallKeepsItsRow() async throws {
        try await withGateway(config: { Self.config(port: $0, model: "fail") }) { client, gateway, _ in
            let response = try await Self.post(client, ["model": "fail", "text": String(Self.longText.prefix(5000)), "prompt": "Summarise."])
            #expect(response.status == .tooManyRequests)
            let requestID = try #require(response.headers[HTTPField.Name("x-request-id")!])
            let rows = try await logRows(gateway, atLeast: 2).filter { $0.requestID == requestID }
            #expect(rows.contains { $0.route == "/chat/completions" && $0.status == 429 })
            #expect(rows.contains { $0.route == "/lollms/long_context_process" && $0.status == 429 })
        }
    }

    @Test func aClientThatLeavesStopsTheCallsInFlight() async throws {
        try await withGateway(config: { Self.config(port: $0, model: "hang") }) { client, gateway, mock in
            let body = String(decoding: try JSONSerialization.data(withJSONObject: [
                "model": "hang", "text": String(Self.longText.prefix(20_000)), "prompt": "Summarise."]), as: UTF8.self)
            try await RawHTTPConnection.with(port: try #require(client.port)) { connection in
                try await connection.post("/lollms/v1/long_context_process", json: body)
                #expect(await eventually(within: 5) { mock.received.count == 4 }, "four calls at once (long_context_concurrency)")
            }
            #expect(await eventually(within: 5) { mock.hangClosedAt.count == 4 }, "each call's connection closed when the client left")
            try await Task.sleep(for: .milliseconds(300))
            #expect(mock.received.count == 4, "no further call started")
            let rows = try await logRows(gateway, atLeast: 5)
            #expect(rows.filter { $0.route == "/chat/completions" }.map(\.status) == [499, 499, 499, 499])
            #expect(rows.first { $0.route == "/lollms/long_context_process" }?.status == 499)
        }
    }

    @Test func chunksRejoinToTheTextAndStayWithinTheirSize() {
        let texts = [Self.longText, String(repeating: "日本語の文章です。", count: 3000), String(repeating: "x", count: 10_000),
                     "one\n\ntwo\nthree. four " + String(repeating: "🇫🇷", count: 500)]
        for text in texts {
            for size in [16, 100, 1000, 4096] {
                let chunks = TextChunker(maxBytes: size).chunks(of: text)
                #expect(chunks.joined() == text)
                #expect(chunks.allSatisfy { $0.utf8.count <= size })
                #expect(!chunks.contains { $0.isEmpty })
            }
        }
    }

    @Test func reduceGroupsAtLeastHalveThePartialsAndFitTheBudget() throws {
        let plan = try LongContextPlan(contextLength: 2048, maxGenerationTokens: 256, prompt: "p")
        let partials = (0..<25).map { String(repeating: "r\($0) ", count: 200) }
        var round = partials
        var rounds = 0
        while round.count > 1 {
            let groups = plan.reduceGroups(round)
            #expect(groups.count <= (round.count + 1) / 2)
            #expect(groups.allSatisfy { $0.count >= 2 && $0.reduce(0) { $0 + $1.utf8.count } <= plan.inputBytes })
            round = groups.map { $0.joined().prefix(100).description }
            rounds += 1
        }
        #expect(rounds <= 5)
    }
}
