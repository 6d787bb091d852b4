import ChorusWire
import Foundation
import Hummingbird

extension RAGRoutes {
    /// `POST rag/databases/{id}/documents`: the owner's documents (`RAGDocumentInput`) are cut into chunks
    /// (`RAGTextChunker`, `server.rag_chunk_chars` / `rag_chunk_overlap`), every chunk of every document is embedded
    /// with the datastore's vectorizer, and only then are the documents stored, each in one transaction: an upstream
    /// failure (502/504 …) leaves the datastore as it was. One usage row: the vectorizer's name, the tokens of all
    /// its calls, the documents' characters.
    func addDocuments(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, trace in
            let datastore = try await owned(Self.pathID(context), by: caller)
            trace.update { $0.model = datastore.vectorizer }
            let vectorizer = RAGVectorizer(services: services)
            let model = try vectorizer.resolve(datastore.vectorizer, for: caller, trace: trace)
            let (documents, listed) = try await RAGDocumentInput.read(request, services: services, trace: trace)
            let chunker = RAGTextChunker(size: services.config.server.ragChunkCharacters, overlap: services.config.server.ragChunkOverlap)
            // Tens of megabytes of text take a while to walk: on the thread pool, not the request's executor.
            let (chunked, characters) = try await Offload.run { () throws(GatewayError) in
                (documents.map { chunker.chunks(of: $0.text) }, documents.map(\.text.count))
            }
            trace.update { record in
                record.characters = characters.reduce(0, +)
                record.promptSummary = UsageRecord.summarize(documents.map(\.title).joined(separator: "; "))
            }
            let vectors = try await vectorizer.embed(chunked.flatMap { $0 }, with: model, caller: caller, trace: trace)

            var drafts: [RAGDocumentDraft] = []
            var offset = 0
            let now = Date().timeIntervalSince1970
            for (index, document) in documents.enumerated() {
                let chunks = chunked[index]
                let embedded = zip(chunks, vectors[offset..<(offset + chunks.count)]).map { RAGChunkDraft(text: $0, vector: $1) }
                offset += chunks.count
                drafts.append(RAGDocumentDraft(datastoreID: datastore.id, title: document.title, chunks: embedded,
                                               characters: characters[index], createdAt: now))
            }
            var added: [JSONValue] = []
            for draft in drafts {
                // Nil only when the datastore was deleted while its documents were being embedded.
                guard let document = try await stored({ try await services.store.insertDocument(draft, ownerKeyID: caller.ownerKeyID) }) else {
                    throw Self.notFound("id")
                }
                added.append(RAGDatastoreJSON.document(document))
            }
            return listed ? RAGDatastoreJSON.list(added) : added[0]
        }
    }
}
