import ChorusWire
import Hummingbird

extension RAGRoutes {
    /// Results one query may ask for; a larger `top_k` is clamped to it.
    static let maxTopK = 100
    static let defaultTopK = 5

    /// `POST rag/query` `{datastore_id, query, top_k?, min_similarity?}` → `{"object": "list", "data": [{document_id,
    /// title, chunk_index, text, similarity}]}`, best first. The query is embedded with the datastore's vectorizer
    /// and compared with every chunk by cosine similarity, given as a percentage (cosine × 100, as the seed's
    /// `min_similarity: 60.0` reads); chunks below `min_similarity` (default 0) are left out.
    func query(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        return try await services.jsonRoute(context) { caller, trace in
            let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
            let id = try Self.datastoreID(json)
            let text = try json.requiredString("query")
            guard text.contains(where: { !$0.isWhitespace }) else { throw GatewayError.invalidParameter("query", "'query' must not be empty.") }
            let topK = try Self.topK(json)
            let minimum = try json.optionalNumber("min_similarity", in: -100...100) ?? 0
            trace.update { $0.promptSummary = UsageRecord.summarize(text) }

            let datastore = try await visible(id, to: caller, param: "datastore_id")
            trace.update { $0.model = datastore.vectorizer }
            let vectorizer = RAGVectorizer(services: services)
            let model = try vectorizer.resolve(datastore.vectorizer, for: caller, trace: trace)
            guard datastore.chunkCount > 0 else {
                trace.markUnpriced()
                return RAGDatastoreJSON.list([])
            }
            let vector = try await vectorizer.embed([text], with: model, caller: caller, trace: trace)[0]
            let matches = try await stored {
                try await services.store.searchChunks(datastoreID: datastore.id, query: vector, limit: topK, minSimilarity: minimum / 100)
            }
            return RAGDatastoreJSON.list(matches.map(RAGDatastoreJSON.match))
        }
    }

    /// `datastore_id`: a positive integer, or its digits as a string (as the seed's clients send ids). Anything
    /// else names no datastore: 404.
    static func datastoreID(_ json: JSONValue) throws(GatewayError) -> Int64? {
        guard let value = json["datastore_id"], !value.isNull else { throw .missingParameter("datastore_id") }
        if let number = value.intValue { return number >= 1 ? Int64(number) : nil }
        if let digits = value.stringValue { return Int64(digits).flatMap { $0 >= 1 ? $0 : nil } }
        throw .invalidParameter("datastore_id", "'datastore_id' must be a datastore's id.")
    }

    /// `top_k`: an integer of at least 1 (default 5); above 100 it is clamped to 100.
    static func topK(_ json: JSONValue) throws(GatewayError) -> Int {
        guard let value = json["top_k"], !value.isNull else { return defaultTopK }
        guard let number = value.intValue else { throw .invalidParameter("top_k", "'top_k' must be an integer.") }
        guard number >= 1 else { throw .invalidParameter("top_k", "'top_k' must be at least 1.") }
        return min(number, maxTopK)
    }
}
