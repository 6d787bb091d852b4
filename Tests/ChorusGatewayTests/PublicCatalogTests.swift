import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite(.timeLimit(.minutes(2)))
struct PublicCatalogTests {
    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func names(_ response: TestResponse) throws -> [String] {
        try (try json(response)["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func catalogListsExactlyTheConfiguredModelsWithoutAKeyAndWithoutProviderDetails() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, _ in
            let configured = gateway.services.config.models.map(\.name)
            let response = try await client.execute(uri: "/api/models?per_page=100", method: .get)
            #expect(response.status == .ok)
            #expect(try Self.names(response) == configured)
            let meta = try #require(try Self.json(response)["meta"] as? [String: Any])
            #expect(meta["total"] as? Int == configured.count && meta["page"] as? Int == 1 && meta["per_page"] as? Int == 100)
            let text = String(buffer: response.body)
            for secret in ["sk-upstream-secret", "127.0.0.1", "base_url", "owned_by", "provider", "bge-reranker-v2-m3", masterKey] {
                #expect(!text.contains(secret), "the public catalog shows \(secret)")
            }
            // Public reads are not anyone's usage.
            await gateway.services.usageLog.flush()
            #expect(try await gateway.services.store.recentUsage(limit: 10).isEmpty)
        }
    }

    @Test func entriesCarryTypeCapabilitiesFormatsVoicesAndCatalogWords() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, _ in
            let reranker = try Self.json(try await client.execute(uri: "/api/models/bge-rerank", method: .get))
            #expect(reranker["name"] as? String == "reranker" && reranker["slug"] as? String == "bge-rerank")
            #expect(reranker["type"] as? String == "rerank" && reranker["category"] as? String == "Search")
            #expect(reranker["capabilities"] as? [String] == ["rerank"])
            #expect(reranker["description"] as? String == "Multilingual reranker for search results")

            let chat = try Self.json(try await client.execute(uri: "/api/models/vllm-chat", method: .get))
            #expect(chat["type"] as? String == "chat" && chat["category"] as? String == "chat", "category defaults to the type")
            #expect(chat["context_length"] as? Int == 8192)
            #expect(chat["capabilities"] as? [String] == ["chat", "tokenize"])

            let speech = try Self.json(try await client.execute(uri: "/api/models/local-tts", method: .get))
            #expect(speech["type"] as? String == "speech")
            #expect(speech["formats"] as? [String] == ["mp3", "opus", "aac", "flac", "wav", "pcm"])
            #expect((speech["voices"] as? [String])?.contains("alloy") == true)
            #expect(speech["description"] is NSNull)

            let stt = try Self.json(try await client.execute(uri: "/api/models/local-stt", method: .get))
            #expect(stt["type"] as? String == "transcription" && (stt["formats"] as? [String])?.contains("srt") == true)
        }
    }

    @Test func oneModelIsFoundByCatalogIdSlugOrNameAndAnUnknownOneIs404() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, _ in
            let position = try #require(gateway.services.config.models.firstIndex { $0.name == "reranker" }) + 1
            let byID = try Self.json(try await client.execute(uri: "/api/models/\(position)", method: .get))
            #expect(byID["name"] as? String == "reranker" && byID["id"] as? Int == position)
            #expect(try Self.json(try await client.execute(uri: "/api/models/reranker", method: .get))["id"] as? Int == position)
            let unknown = try await client.execute(uri: "/api/models/no-such-model", method: .get)
            #expect(unknown.status == .notFound)
            #expect(try errorBody(unknown).message.contains("no-such-model"))
            #expect(try await client.execute(uri: "/api/models/0", method: .get).status == .notFound)
        }
    }

    @Test func searchFiltersAndPagesNarrowTheList() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, _ in
            #expect(try Self.names(try await client.execute(uri: "/api/models?q=RERANKER", method: .get)) == ["reranker"],
                    "q matches the description and the name ignoring case")
            #expect(try Self.names(try await client.execute(uri: "/api/models?q=vllm", method: .get)) == ["vllm-chat"])
            #expect(try Self.names(try await client.execute(uri: "/api/models?q=search+results", method: .get)) == ["reranker"],
                    "a form's + is a space")
            #expect(try Self.names(try await client.execute(uri: "/api/models?q=search%20results&type=rerank", method: .get)) == ["reranker"])
            #expect(try Self.names(try await client.execute(uri: "/api/models?category=search", method: .get)) == ["reranker"])
            #expect(try Self.names(try await client.execute(uri: "/api/models?type=rerank", method: .get)) == ["reranker", "fail-rerank"])
            let speech = try Self.names(try await client.execute(uri: "/api/models?type=speech&per_page=100", method: .get))
            #expect(speech.contains("local-tts") && !speech.contains("local-stt"))
            #expect(try Self.names(try await client.execute(uri: "/api/models?q=", method: .get)).count == 20, "an empty box is no filter; 20 a page")

            let all = gateway.services.config.models.map(\.name)
            let second = try await client.execute(uri: "/api/models?page=2&per_page=5", method: .get)
            #expect(try Self.names(second) == Array(all[5..<10]))
            let past = try await client.execute(uri: "/api/models?page=99&per_page=5", method: .get)
            #expect(try Self.names(past).isEmpty && (try Self.json(past)["meta"] as? [String: Any])?["total"] as? Int == all.count)

            let clamped = try Self.json(try await client.execute(uri: "/api/models?per_page=100000", method: .get))
            #expect((clamped["meta"] as? [String: Any])?["per_page"] as? Int == 100)
            for bad in ["page=0", "page=abc", "per_page=0", "per_page=-3", "sort=name", "page=1&page=2"] {
                let response = try await client.execute(uri: "/api/models?\(bad)", method: .get)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func categoriesListThoseInUseWithTheirCounts() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, gateway, _ in
            let data = try #require(try Self.json(try await client.execute(uri: "/api/categories", method: .get))["data"] as? [[String: Any]])
            let counts = Dictionary(uniqueKeysWithValues: data.map { ($0["name"] as? String ?? "", $0["count"] as? Int ?? 0) })
            #expect(counts["Search"] == 1 && counts["Open models"] == 1)
            #expect(counts.values.reduce(0, +) == gateway.services.config.models.count)
            #expect(counts["image"] == nil, "no image model is configured, so no image category")
        }
    }

    @Test func v1ModelsEntriesCarryCapabilities() async throws {
        try await withGateway(config: { platformConfig(upstreamPort: $0) }) { client, _, _ in
            let response = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
            let data = try #require(try Self.json(response)["data"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: data.map { ($0["id"] as? String ?? "", $0) })
            #expect(byName["reranker"]?["capabilities"] as? [String] == ["rerank"])
            #expect(byName["local-stt"]?["capabilities"] as? [String] == ["transcription", "translation"])
            #expect((byName["gpt-test"]?["capabilities"] as? [String])?.count == 10, "an undeclared OpenAI-compatible model offers everything")
        }
    }
}
