import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RerankTests {
    static let documents = #"["Paris is the capital of France.", "The Eiffel Tower is in Paris.", "Berlin is in Germany."]"#

    static func rerank(_ client: any TestClientProtocol, _ body: String, path: String = "/v1/rerank",
                       key: String = masterKey) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: bearer(key), body: ByteBuffer(string: body))
    }

    @Test func rerankReachesTheProvidersRerankPathAndPassesTheAnswerThrough() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, mock in
            let response = try await Self.rerank(client, #"{"model":"reranker","query":"capital of France","documents":\#(Self.documents),"top_n":2,"return_documents":true}"#)
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let results = try #require(json["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == [0, 1])
            #expect((results.first?["document"] as? [String: Any])?["text"] as? String == "Paris is the capital of France.")
            #expect((json["usage"] as? [String: Any])?["total_tokens"] as? Int != nil)

            let sent = try #require(mock.received.last)
            #expect(sent.path == "/v1/rerank")
            let upstream = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
            #expect(upstream["model"] as? String == "bge-reranker-v2-m3", "the provider's name for the model")
            #expect(upstream["query"] as? String == "capital of France" && (upstream["documents"] as? [String])?.count == 3)
            #expect(upstream["top_n"] as? Int == 2 && upstream["return_documents"] as? Bool == true)
            #expect(sent.headers[.authorization] == "Bearer sk-upstream-secret")

            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/rerank" && row.model == "reranker" && row.status == 200 && row.provider == "mock")
            #expect(row.promptSummary == "capital of France")
        }
    }

    @Test func apiV1RerankAndDocumentObjectsWorkToo() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, mock in
            let response = try await Self.rerank(client, #"{"model":"bge-rerank-unknown-slug-is-not-a-name","query":"q","documents":["a"]}"#, path: "/api/v1/rerank")
            #expect(response.status == .notFound, "rerank resolves model names, as every /v1 route")
            let objects = try await Self.rerank(client, #"{"model":"reranker","query":"Berlin","documents":[{"text":"Paris"},{"text":"Berlin in spring"}]}"#,
                                                path: "/api/v1/rerank")
            #expect(objects.status == .ok)
            #expect(String(buffer: objects.body).contains(#""index":1"#))
            #expect(mock.received.filter { $0.path == "/v1/rerank" }.count == 1)
        }
    }

    @Test func aModelWithoutRerankIs501AndTheProviderSeesNothing() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, mock in
            for model in ["chat-only", "local-tts"] {
                let response = try await Self.rerank(client, #"{"model":"\#(model)","query":"q","documents":["a"]}"#)
                #expect(response.status == .notImplemented)
                let error = try errorBody(response)
                #expect(error.code == "capability_not_supported" && error.type == "not_implemented_error" && error.param == "model")
            }
            #expect(mock.received.isEmpty)
            #expect(try await logRows(gateway, atLeast: 2).allSatisfy { $0.status == 501 && $0.route == "/rerank" })
        }
    }

    @Test(arguments: [
        (#"{"model":"reranker","documents":["a"]}"#, "query"),
        (#"{"model":"reranker","query":"","documents":["a"]}"#, "query"),
        (#"{"model":"reranker","query":7,"documents":["a"]}"#, "query"),
        (#"{"model":"reranker","query":"q"}"#, "documents"),
        (#"{"model":"reranker","query":"q","documents":[]}"#, "documents"),
        (#"{"model":"reranker","query":"q","documents":"a"}"#, "documents"),
        (#"{"model":"reranker","query":"q","documents":["a",3]}"#, "documents[1]"),
        (#"{"model":"reranker","query":"q","documents":["a",{"txt":"b"}]}"#, "documents[1]"),
        (#"{"model":"reranker","query":"q","documents":["a"],"top_n":0}"#, "top_n"),
        (#"{"model":"reranker","query":"q","documents":["a"],"top_n":"2"}"#, "top_n"),
        (#"{"model":"reranker","query":"q","documents":["a"],"return_documents":"yes"}"#, "return_documents"),
    ])
    func malformedRerankBodiesAre400NamingTheFieldBeforeAnyProviderIsAsked(body: String, param: String) async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, mock in
            let response = try await Self.rerank(client, body)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == param)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func tenThousandDocumentsAre400AndTenMegabytesAre413() async throws {
        try await withGateway(config: { port in
            var config = platformConfig(upstreamPort: port)
            config.server.maxBodyMB = 8
            return config
        }) { client, _, mock in
            let many = "[" + Array(repeating: #""doc""#, count: 10_000).joined(separator: ",") + "]"
            let tooMany = try await Self.rerank(client, #"{"model":"reranker","query":"q","documents":\#(many)}"#)
            #expect(tooMany.status == .badRequest)
            #expect(try errorBody(tooMany).message.contains("1000"))
            let big = String(repeating: "x", count: 10 << 20)
            let tooBig = try await Self.rerank(client, #"{"model":"reranker","query":"q","documents":["\#(big)"]}"#)
            #expect(tooBig.status == .contentTooLarge)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func anUpstreamRerankErrorPassesThroughWithItsStatus() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, _ in
            let response = try await Self.rerank(client, #"{"model":"fail-rerank","query":"q","documents":["a"]}"#)
            #expect(response.status == .tooManyRequests)
            #expect(try errorBody(response).message == "Upstream says slow down")
            #expect(try await logRows(gateway).first?.status == 429)
        }
    }
}
