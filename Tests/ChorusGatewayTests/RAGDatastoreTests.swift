import ChorusGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// `/lollms/v1/rag/*` against the mock upstream's hashed bag-of-words embeddings (texts sharing words are similar).
@Suite(.timeLimit(.minutes(3)))
struct RAGDatastoreTests {
    static let places = ["Velmora", "Tarnhollow", "Bricklade", "Osterwyn", "Cauldmere", "Dunspire", "Hazelgate", "Marrowby",
                         "Quenfell", "Rookhaven"]
    static let goods = ["copper", "salt", "wool", "amber", "timber", "barley", "tin", "honey", "flax", "glass", "cider", "slate"]

    /// Document `index` of the haystack: a short report on a town, some mentioning its own lighthouse (near misses
    /// for the query about Port Quillan's keeper).
    static func report(_ index: Int) -> [String: Any] {
        let place = places[index % places.count] + "\(index)"
        let good = goods[index % goods.count], other = goods[(index * 7 + 3) % goods.count]
        var text = "The market of \(place) trades \(good) and \(other). Its council meets on the first day of the month. "
        text += "Merchants of \(place) ship \(good) by river barge to the coast."
        if index % 5 == 0 { text += "\n\nThe lighthouse of Port \(place) was painted red in \(1900 + index)." }
        return ["title": "Report on \(place)", "text": text]
    }

    /// Long enough that the answer's paragraph is a chunk of its own (default chunks: 1000 characters).
    static var almanac: [String: Any] {
        let fog = (0..<11).map { "Fog rolls over the harbour of Port Quillan on morning \($0 + 1) and the gulls stay on the quay." }
        let fleet = (0..<12).map { "Fishing boat \($0 + 1) of the Port Quillan fleet lands herring and mackerel before noon." }
        let answer = "The lighthouse keeper of Port Quillan is Ardwick Pelling, who has tended its lamp every night since 1987."
        return ["title": "Port Quillan almanac", "text": fog.joined(separator: " ") + "\n\n" + answer + "\n\n" + fleet.joined(separator: " ")]
    }

    @Test func aQueryReturnsTheChunkHoldingTheAnswerFirstFromFiftyDocuments() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, gateway, mock in
            let rag = RAGClient(client: client)
            let id = try await rag.create("towns")
            var documents = (0..<59).map(Self.report)
            documents.insert(Self.almanac, at: 23)
            let added = try await rag.post("databases/\(id)/documents", ["documents": documents])
            #expect(added.status == .ok, "\(String(buffer: added.body))")
            let stored = try RAGClient.data(added)
            #expect(stored.count == 60)
            #expect(stored.allSatisfy { $0["datastore_id"] as? Int == id && ($0["chunks"] as? Int ?? 0) >= 1 })
            let almanac = try #require(stored.first { $0["title"] as? String == "Port Quillan almanac" })
            #expect(almanac["chunks"] as? Int == 3, "fog, the answer, the fleet")
            let chunks = stored.reduce(0) { $0 + ($1["chunks"] as? Int ?? 0) }

            // The chunks went upstream in batches of at most 32, each as the vectorizer's upstream model.
            let calls = mock.received.filter { $0.path == "/v1/embeddings" }
            let inputs = try calls.map { call in
                let body = try #require(try JSONSerialization.jsonObject(with: Data(call.body.utf8)) as? [String: Any])
                #expect(body["model"] as? String == "upstream-embed")
                return try #require(body["input"] as? [String]).count
            }
            #expect(inputs.reduce(0, +) == chunks && inputs.allSatisfy { $0 <= 32 } && inputs.count == (chunks + 31) / 32)

            let response = try await rag.query(id, "Who is the lighthouse keeper of Port Quillan?", topK: 3)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let results = try RAGClient.data(response)
            #expect(results.count == 3)
            let best = try #require(results.first)
            #expect((best["text"] as? String)?.contains("Ardwick Pelling") == true, "\(results)")
            #expect(best["title"] as? String == "Port Quillan almanac" && best["chunk_index"] as? Int == 1)
            #expect(best["document_id"] as? Int == almanac["id"] as? Int)
            let similarities = results.compactMap { $0["similarity"] as? Double }
            #expect(similarities == similarities.sorted(by: >) && similarities[0] > 50 && similarities[0] <= 100)

            // One row per request: the vectorizer's name and all its batches' tokens (the mock counts 4 per input).
            let rows = try await logRows(gateway, atLeast: 3)
            let add = try #require(rows.first { $0.route.hasSuffix("/documents") })
            #expect(add.model == "embed" && add.status == 200 && add.promptTokens == 4 * chunks)
            #expect(rows.filter { $0.route.hasSuffix("/documents") }.count == 1)
            let query = try #require(rows.first { $0.route.hasSuffix("/query") })
            #expect(query.model == "embed" && query.promptTokens == 4)
        }
    }

    @Test func theListingShowsTheKeysOwnAndPublicDatastoresInTheSeedsShape() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, gateway, _ in
            let alice = try await gateway.services.store.createKey(name: "alice", rpm: nil, models: nil, expiresAt: nil).key
            let master = RAGClient(client: client)
            let shared = try await master.create("shared", isPublic: true)
            let secret = try await master.create("secret")
            let own = try await RAGClient(client: client, key: alice).create("notes")

            let listing = try await RAGClient(client: client, key: alice).get("databases")
            #expect(listing.status == .ok)
            let entries = try RAGClient.data(listing)
            #expect(entries.compactMap { $0["id"] as? Int } == [shared, own])
            #expect(entries.allSatisfy { Set($0.keys) == ["id", "name", "description", "vectorizer", "is_public", "owner_username"] })
            let first = entries[0]
            #expect(first["name"] as? String == "shared" && first["description"] as? String == "about shared")
            #expect(first["vectorizer"] as? String == "embed" && first["is_public"] as? Bool == true)
            #expect(first["owner_username"] as? String == "admin")
            #expect(entries[1]["owner_username"] as? String == "alice" && entries[1]["is_public"] as? Bool == false)

            // The master key sees its own two and not alice's private one.
            let mine = try RAGClient.data(try await master.get("databases")).compactMap { $0["id"] as? Int }
            #expect(mine == [shared, secret])
        }
    }

    @Test func aPrivateDatastoreOfAnotherKeyIs404AndAPublicOneIsSearchableButNotWritable() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, gateway, _ in
            let master = RAGClient(client: client)
            let shared = try await master.create("shared", isPublic: true)
            let secret = try await master.create("secret")
            for id in [shared, secret] {
                let added = try await master.post("databases/\(id)/documents", ["title": "tea", "text": "Green tea is steeped at 80 degrees."])
                #expect(added.status == .ok, "\(String(buffer: added.body))")
            }
            let alice = RAGClient(client: client, key: try await gateway.services.store.createKey(name: "alice", rpm: nil, models: nil,
                                                                                                   expiresAt: nil).key)

            for response in [try await alice.get("databases/\(secret)"), try await alice.query(secret, "green tea"),
                             try await alice.post("databases/\(secret)/documents", ["text": "mine now"]),
                             try await alice.delete("databases/\(secret)"), try await alice.get("databases/999999"),
                             try await alice.query(999_999, "green tea"), try await alice.get("databases/abc")] {
                #expect(response.status == .notFound, "\(String(buffer: response.body))")
            }
            #expect(try errorBody(try await alice.query(secret, "tea")).param == "datastore_id")

            let shown = try await alice.get("databases/\(shared)")
            #expect(shown.status == .ok)
            #expect(try RAGClient.object(shown)["documents"] as? Int == 1)
            let found = try RAGClient.data(try await alice.query(shared, "How hot is green tea steeped?"))
            #expect((found.first?["text"] as? String)?.contains("80 degrees") == true)

            for response in [try await alice.post("databases/\(shared)/documents", ["text": "vandalism"]),
                             try await alice.upload(shared, file: Array("vandalism".utf8), filename: "x.txt"),
                             try await alice.delete("databases/\(shared)")] {
                #expect(response.status == .forbidden, "\(String(buffer: response.body))")
                #expect(try errorBody(response).type == "permission_error")
            }
            #expect(try RAGClient.object(try await master.get("databases/\(shared)"))["documents"] as? Int == 1)

            // The owner deletes it, documents and all.
            let deleted = try await master.delete("databases/\(shared)")
            #expect(try deleted.status == .ok && RAGClient.object(deleted)["deleted"] as? Bool == true)
            #expect(try await master.get("databases/\(shared)").status == .notFound)
            #expect(try await alice.query(shared, "green tea").status == .notFound)
        }
    }

    @Test func theVectorizerMustBeAnEmbeddingsModelTheKeyMayUse() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, gateway, mock in
            let limited = try await gateway.services.store.createKey(name: "bob", rpm: nil, models: ["chat-only"], expiresAt: nil).key
            let cases: [(key: String, vectorizer: String, status: HTTPResponse.Status)] = [
                (masterKey, "no-such-model", .notFound), (masterKey, "chat-only", .notImplemented), (limited, "embed", .forbidden),
            ]
            for (key, vectorizer, status) in cases {
                let response = try await RAGClient(client: client, key: key).post("databases", ["name": "x", "vectorizer": vectorizer])
                #expect(response.status == status, "\(vectorizer): \(String(buffer: response.body))")
                #expect(try errorBody(response).param == "vectorizer")
            }
            let unnamed = try await RAGClient(client: client).post("databases", ["name": "  ", "vectorizer": "embed"])
            #expect(try unnamed.status == .badRequest && errorBody(unnamed).param == "name")
            #expect(try RAGClient.data(try await RAGClient(client: client).get("databases")).isEmpty)
            #expect(mock.received.isEmpty, "creating a datastore asks no provider")
        }
    }

    @Test func topKZeroIs400AndTenThousandIsClampedToOneHundred() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, _, _ in
            let rag = RAGClient(client: client)
            let id = try await rag.create("many")
            let notes = (0..<110).map { ["title": "note \($0)", "text": "Note \($0) is about \(Self.goods[$0 % Self.goods.count]) prices."] }
            #expect(try await rag.post("databases/\(id)/documents", ["documents": notes]).status == .ok)

            for bad: Any in [0, -3, 2.5, "5"] {
                let response = try await rag.post("query", ["datastore_id": id, "query": "salt prices", "top_k": bad])
                #expect(response.status == .badRequest)
                #expect(try errorBody(response).param == "top_k")
            }
            let all = try RAGClient.data(try await rag.query(id, "salt prices", topK: 10_000))
            #expect(all.count == 100)
            let similarities = all.compactMap { $0["similarity"] as? Double }
            #expect(similarities == similarities.sorted(by: >))
            #expect(try RAGClient.data(try await rag.query(id, "salt prices")).count == 5, "top_k defaults to 5")

            let close = try RAGClient.data(try await rag.post("query", ["datastore_id": "\(id)", "query": "salt prices", "top_k": 100,
                                                                        "min_similarity": 50.0]))
            #expect(!close.isEmpty && close.count < 100)
            #expect(close.allSatisfy { ($0["similarity"] as? Double ?? 0) >= 50 && ($0["text"] as? String ?? "").contains("salt") })
        }
    }

    @Test func aRealPDFsTextIsSearchableAndAFakeOneIs400NamingFile() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, _, _ in
            let rag = RAGClient(client: client)
            let id = try await rag.create("papers")
            let fake = try await rag.upload(id, file: Array("just some words, no PDF here".utf8), filename: "paper.pdf")
            #expect(fake.status == .badRequest, "\(String(buffer: fake.body))")
            #expect(try errorBody(fake).param == "file")

            let real = try await rag.upload(id, file: tinyPDF("The observatory on Mount Kellan measured 212 meteors in August."),
                                            filename: "meteors.pdf", contentType: "application/pdf")
            #expect(real.status == .ok, "\(String(buffer: real.body))")
            let document = try RAGClient.object(real)
            #expect(document["title"] as? String == "meteors.pdf" && document["chunks"] as? Int == 1)
            let found = try RAGClient.data(try await rag.query(id, "How many meteors did the Kellan observatory measure?"))
            #expect(found.count == 1)
            #expect((found.first?["text"] as? String)?.contains("212 meteors") == true, "\(found)")

            let markdown = try await rag.upload(id, file: Array("# Tides\n\nSpring tides follow the full moon.".utf8), filename: "tides.md",
                                                title: "Tide notes")
            #expect(try RAGClient.object(markdown)["title"] as? String == "Tide notes")
            let image = try await rag.upload(id, file: [0x89, 0x50, 0x4E, 0x47], filename: "photo.png")
            #expect(try image.status == .unsupportedMediaType && errorBody(image).param == "file")
            #expect(try RAGClient.object(try await rag.get("databases/\(id)"))["documents"] as? Int == 2)
        }
    }

    @Test func emptyTextMalformedJSONAndAHundredMegabytesAreRefusedWithNothingStored() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, _, mock in
            let rag = RAGClient(client: client)
            let id = try await rag.create("strict")
            let refusals: [(response: TestResponse, status: HTTPResponse.Status, param: String?)] = [
                (try await rag.post("databases/\(id)/documents", ["title": "blank", "text": "  \n "]), .badRequest, "text"),
                (try await rag.post("databases/\(id)/documents", ["title": "none"]), .badRequest, "text"),
                (try await rag.post("databases/\(id)/documents", ["documents": [["text": "fine"], ["title": "no text"]]]), .badRequest,
                 "documents[1].text"),
                (try await rag.post("databases/\(id)/documents", ["documents": []]), .badRequest, "documents"),
                (try await rag.upload(id, file: [], filename: "empty.txt"), .badRequest, "file"),
                (try await rag.post("databases/\(id)/documents", raw: #"{"text": "unclosed"#), .badRequest, nil),
                (try await rag.post("query", raw: "not json"), .badRequest, nil),
                (try await rag.post("query", ["datastore_id": id]), .badRequest, "query"),
            ]
            for (response, status, param) in refusals {
                #expect(response.status == status, "\(String(buffer: response.body))")
                if let param { #expect(try errorBody(response).param == param) }
            }

            let hundredMB = 100 << 20
            var json = ByteBuffer(string: #"{"title": "huge", "text": ""#)
            json.writeRepeatingByte(UInt8(ascii: "a"), count: hundredMB)
            json.writeString(#""}"#)
            let bigJSON = try await client.execute(uri: "/lollms/v1/rag/databases/\(id)/documents", method: .post, headers: bearer(masterKey),
                                                   body: json)
            #expect(bigJSON.status == .contentTooLarge)
            let bigFile = try await rag.upload(id, file: [UInt8](repeating: UInt8(ascii: "b"), count: hundredMB), filename: "huge.txt")
            #expect(bigFile.status == .contentTooLarge)
            #expect(try errorBody(bigFile).code == "payload_too_large")

            #expect(try RAGClient.object(try await rag.get("databases/\(id)"))["documents"] as? Int == 0)
            #expect(!mock.received.contains { $0.path == "/v1/embeddings" })
        }
    }

    /// Two embedding batches hold the model's points twice while the request runs; the one row gives both holds
    /// back and pays its cost once.
    @Test func aMeteredKeyPaysOneRowForADocumentEmbeddedInSeveralBatches() async throws {
        try await withGateway(config: { port in
            var config = ragConfig(upstreamPort: port)
            config.price("embed", perRequest: 1)
            return config
        }) { client, gateway, mock in
            var limits = KeyChanges()
            limits.balance = .some(100)
            let (key, record) = try await gateway.services.store.createKey(name: "metered", limits: limits)
            let rag = RAGClient(client: client, key: key)
            let id = try await rag.create("paid")
            let added = try await rag.post("databases/\(id)/documents", ["documents": (0..<40).map(Self.report)])
            #expect(added.status == .ok, "\(String(buffer: added.body))")
            #expect(mock.received.filter { $0.path == "/v1/embeddings" }.count == 2)
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route.hasSuffix("/documents") })
            #expect(row.cost == 1)
            #expect(try await gateway.services.store.key(id: record.id)?.balance == 99)
        }
    }

    @Test func aVectorizerAnsweringBase64FindsTheSameChunks() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, _, mock in
            let rag = RAGClient(client: client)
            let id = try await rag.create("encoded", vectorizer: "embed-base64")
            #expect(try await rag.post("databases/\(id)/documents", ["documents": [Self.almanac] + (0..<10).map(Self.report)]).status == .ok)
            #expect(mock.received.last?.body.contains(#""encoding_format":"base64""#) == true)
            let best = try #require(try RAGClient.data(try await rag.query(id, "Who is the lighthouse keeper of Port Quillan?")).first)
            #expect((best["text"] as? String)?.contains("Ardwick Pelling") == true)
        }
    }

    @Test func anEmbeddingsUpstreamThatIsDownIs502AndStoresNothing() async throws {
        try await withGateway(config: { ragConfig(upstreamPort: $0) }) { client, gateway, _ in
            let rag = RAGClient(client: client)
            let id = try await rag.create("offline", vectorizer: "embed-down")
            let documents = (0..<40).map(Self.report)
            let response = try await rag.post("databases/\(id)/documents", ["documents": documents])
            #expect(response.status == .badGateway, "\(String(buffer: response.body))")
            let shown = try RAGClient.object(try await rag.get("databases/\(id)"))
            #expect(shown["documents"] as? Int == 0 && shown["chunks"] as? Int == 0)
            let hits = try await gateway.services.store.searchChunks(datastoreID: Int64(id), query: [1, 0, 0], limit: 10, minSimilarity: -1)
            #expect(hits.isEmpty)
            #expect(try await rag.query(id, "anything").status == .ok, "an empty datastore answers an empty list without asking")
        }
    }
}
