@testable import ChorusGateway
import Foundation
import Testing

/// What any `GatewayStorage` must do with RAG datastores, on SQLite and (with `CHORUS_TEST_POSTGRES`) PostgreSQL.
@Suite struct RAGStorageTests {
    static func draft(_ name: String, owner: Int64?, isPublic: Bool = false) -> RAGDatastoreDraft {
        RAGDatastoreDraft(ownerKeyID: owner, name: name, description: "d " + name, vectorizer: "embed", isPublic: isPublic, createdAt: 100)
    }

    static func document(_ datastore: Int64, _ title: String, _ vectors: [[Float]]) -> RAGDocumentDraft {
        RAGDocumentDraft(datastoreID: datastore, title: title,
                         chunks: vectors.enumerated().map { RAGChunkDraft(text: "\(title) chunk \($0.offset)", vector: $0.element) },
                         characters: 42, createdAt: 200)
    }

    @Test(arguments: StorageBackend.available)
    func datastoresAreSeenByTheirOwnerAndWhenPublicByEveryKey(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let alice = try await store.createKey(name: "alice", rpm: nil, models: nil, expiresAt: nil).record
            let mine = try await store.insertDatastore(Self.draft("mine", owner: alice.id))
            #expect(mine == RAGDatastore(id: mine.id, ownerKeyID: alice.id, ownerName: "alice", name: "mine", description: "d mine",
                                         vectorizer: "embed", isPublic: false, createdAt: 100))
            let shared = try await store.insertDatastore(Self.draft("shared", owner: nil, isPublic: true))
            let master = try await store.insertDatastore(Self.draft("master", owner: nil))
            #expect(shared.ownerName == "admin" && shared.isPublic)

            #expect(try await store.datastores(visibleTo: alice.id).map(\.name) == ["mine", "shared"])
            #expect(try await store.datastores(visibleTo: nil).map(\.name) == ["shared", "master"])
            #expect(try await store.datastores(visibleTo: 999).map(\.name) == ["shared"])
            #expect(try await store.datastore(id: master.id, visibleTo: alice.id) == nil)
            #expect(try await store.datastore(id: shared.id, visibleTo: alice.id)?.name == "shared")
            #expect(try await store.datastore(id: mine.id, visibleTo: nil) == nil)

            // The owner's name is read as it is now.
            var rename = KeyChanges()
            rename.name = "alice-2"
            _ = try await store.updateKey(id: alice.id, rename, now: 0)
            #expect(try await store.datastore(id: mine.id, visibleTo: alice.id)?.ownerName == "alice-2")

            // Only the owner deletes.
            #expect(try await store.deleteDatastore(id: shared.id, ownerKeyID: alice.id) == false)
            #expect(try await store.deleteDatastore(id: mine.id, ownerKeyID: nil) == false)
            #expect(try await store.deleteDatastore(id: mine.id, ownerKeyID: alice.id))
            #expect(try await store.datastores(visibleTo: alice.id).map(\.name) == ["shared"])
        }
    }

    @Test(arguments: StorageBackend.available)
    func documentsAreWrittenWholeByTheOwnerAndSearchedByCosine(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let datastore = try await store.insertDatastore(Self.draft("vectors", owner: 7))
            #expect(try await store.insertDocument(Self.document(datastore.id, "intruder", [[1, 0, 0]]), ownerKeyID: 8) == nil)
            #expect(try await store.insertDocument(Self.document(datastore.id + 100, "nowhere", [[1, 0, 0]]), ownerKeyID: 7) == nil)

            let first = try #require(try await store.insertDocument(Self.document(datastore.id, "axes", [[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
                                                                   ownerKeyID: 7))
            #expect(first == RAGDocument(id: first.id, datastoreID: datastore.id, title: "axes", chunkCount: 3, characters: 42, createdAt: 200))
            let second = try #require(try await store.insertDocument(Self.document(datastore.id, "diagonal", [[1, 1, 0], [-1, 0, 0]]),
                                                                    ownerKeyID: 7))
            // A vector of another dimension (a vectorizer that changed) is never compared.
            _ = try await store.insertDocument(Self.document(datastore.id, "other model", [[1, 0]]), ownerKeyID: 7)
            let counted = try #require(try await store.datastore(id: datastore.id, visibleTo: 7))
            #expect(counted.documentCount == 3 && counted.chunkCount == 6)

            let hits = try await store.searchChunks(datastoreID: datastore.id, query: [2, 0, 0], limit: 10, minSimilarity: -1)
            #expect(hits.map(\.text) == ["axes chunk 0", "diagonal chunk 0", "axes chunk 1", "axes chunk 2", "diagonal chunk 1"])
            #expect(hits.map(\.similarity).map { ($0 * 1000).rounded() / 1000 } == [1, 0.707, 0, 0, -1])
            #expect(hits[1] == RAGMatch(chunkID: hits[1].chunkID, documentID: second.id, title: "diagonal", chunkIndex: 0,
                                        text: "diagonal chunk 0", similarity: hits[1].similarity))
            #expect(try await store.searchChunks(datastoreID: datastore.id, query: [2, 0, 0], limit: 2, minSimilarity: -1).map(\.text)
                    == ["axes chunk 0", "diagonal chunk 0"])
            #expect(try await store.searchChunks(datastoreID: datastore.id, query: [2, 0, 0], limit: 10, minSimilarity: 0.5).count == 2)
            #expect(try await store.searchChunks(datastoreID: datastore.id, query: [0, 0, 0], limit: 10, minSimilarity: -1).isEmpty)

            // Deleting the datastore takes its documents and chunks with it.
            #expect(try await store.deleteDatastore(id: datastore.id, ownerKeyID: 7))
            #expect(try await store.searchChunks(datastoreID: datastore.id, query: [2, 0, 0], limit: 10, minSimilarity: -1).isEmpty)
            let again = try await store.insertDatastore(Self.draft("again", owner: 7))
            #expect(again.documentCount == 0 && again.chunkCount == 0)
        }
    }

    @Test func vectorsKeepEveryFloatThroughTheirBytes() {
        let vector: [Float] = [0, -0, 1.5, -2.25, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 3.1415927]
        let bytes = RAGVector.bytes(of: vector)
        #expect(bytes.count == vector.count * 4)
        #expect(Array(bytes[8..<12]) == [0x00, 0x00, 0xC0, 0x3F], "1.5 as little-endian Float32")
        #expect(RAGVector.vector(from: bytes)?.map(\.bitPattern) == vector.map(\.bitPattern))
        #expect(RAGVector.vector(from: [1, 2, 3]) == nil)
        #expect(RAGVector.norm(of: [3, 4]) == 5)
    }
}
