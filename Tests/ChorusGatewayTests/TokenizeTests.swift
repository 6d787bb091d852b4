import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite(.timeLimit(.minutes(2)))
struct TokenizeTests {
    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/lollms/v1/" + path, method: .post, headers: bearer(masterKey), body: ByteBuffer(string: body))
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func tokenizeAndDetokenizeReachAVLLMServerInItsShape() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, mock in
            let tokenized = try await Self.post(client, "tokenize", #"{"model":"vllm-chat","text":"Hi é"}"#)
            #expect(tokenized.status == .ok)
            let answer = try Self.json(tokenized)
            #expect(answer["tokens"] as? [Int] == [72, 105, 32, 195, 169] && answer["count"] as? Int == 5)
            let sent = try #require(mock.received.last)
            #expect(sent.path == "/tokenize", "vLLM serves it beside /v1, at the server root")
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
            #expect(body["model"] as? String == "upstream-model" && body["prompt"] as? String == "Hi é")

            let detokenized = try await Self.post(client, "detokenize", #"{"model":"vllm-chat","tokens":[72,105,32,195,169]}"#)
            #expect(try Self.json(detokenized)["text"] as? String == "Hi é")
            #expect(mock.received.last?.path == "/detokenize")

            let rows = try await logRows(gateway, atLeast: 2)
            #expect(Set(rows.map(\.route)) == ["/lollms/tokenize", "/lollms/detokenize"])
            #expect(rows.allSatisfy { $0.model == "vllm-chat" && $0.status == 200 })
        }
    }

    @Test func aLlamaCppTokenizerGetsItsOwnBodyShape() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, mock in
            let tokenized = try await Self.post(client, "tokenize", #"{"model":"llama-chat","text":"ok"}"#)
            #expect(try Self.json(tokenized)["tokens"] as? [Int] == [111, 107])
            let sent = try #require(mock.received.last)
            #expect(sent.path == "/llama/tokenize")
            #expect(sent.body == #"{"content":"ok"}"#)
            let detokenized = try await Self.post(client, "detokenize", #"{"model":"llama-chat","tokens":[111,107]}"#)
            #expect(try Self.json(detokenized)["text"] as? String == "ok")
            #expect(mock.received.last?.body == #"{"tokens":[111,107]}"#)
        }
    }

    @Test(arguments: [
        (#"{"model":"vllm-chat","tokens":[1,"2"]}"#, "tokens[1]"),
        (#"{"model":"vllm-chat","tokens":[1,2.5]}"#, "tokens[1]"),
        (#"{"model":"vllm-chat","tokens":[-1]}"#, "tokens[0]"),
        (#"{"model":"vllm-chat","tokens":"1 2"}"#, "tokens"),
        (#"{"model":"vllm-chat"}"#, "tokens"),
        (#"{"tokens":[1]}"#, "model"),
    ])
    func tokensThatAreNotIntegersAre400NamingTheEntry(body: String, param: String) async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, mock in
            let response = try await Self.post(client, "detokenize", body)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == param)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func aModelWithoutATokenizerIs501AndNothingIsSent() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, mock in
            for model in ["chat-only", "reranker", "local-tts"] {
                let response = try await Self.post(client, "tokenize", #"{"model":"\#(model)","text":"x"}"#)
                #expect(response.status == .notImplemented, "\(model)")
                #expect(try errorBody(response).code == "capability_not_supported")
            }
            let missingText = try await Self.post(client, "tokenize", #"{"model":"vllm-chat"}"#)
            #expect(missingText.status == .badRequest)
            #expect(try errorBody(missingText).param == "text")
            #expect(mock.received.isEmpty)
        }
    }

    @Test func tokenizingIsFreeForAPricedModel() async throws {
        try await withGateway(config: { port in
            var config = platformConfig(upstreamPort: port)
            config.price("vllm-chat", perRequest: 5)
            return config
        }) { client, gateway, _ in
            #expect(try await Self.post(client, "tokenize", #"{"model":"vllm-chat","text":"x"}"#).status == .ok)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/lollms/tokenize" && (row.cost ?? 0) == 0)
        }
    }

    @Test func aServerWithoutTheEndpointIs501NamingThePathNotTheHost() async throws {
        try await withGateway(config: { port in
            var config = platformConfig(upstreamPort: port)
            // Its root has no /tokenize: the mock answers 404 under /v1/v1.
            var nowhere = ProviderConfig(name: "nowhere", type: .openai)
            nowhere.baseURL = "http://127.0.0.1:\(port)/v1/v1"
            config.providers.append(nowhere)
            config.models.append(ModelConfig(name: "no-tokenizer", provider: "nowhere", model: "m", capabilities: [.tokenize]))
            return config
        }) { client, _, _ in
            let response = try await Self.post(client, "tokenize", #"{"model":"no-tokenizer","text":"x"}"#)
            #expect(response.status == .notImplemented)
            let message = try errorBody(response).message
            #expect(message.contains("/tokenize") && !message.contains("127.0.0.1"))
        }
    }
}
