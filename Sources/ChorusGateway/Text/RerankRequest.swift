import ChorusWire

/// The checks a rerank body meets before it goes upstream (Cohere/Jina shape: `{model, query, documents, top_n?,
/// return_documents?}`), so a malformed one is a 400 naming the field here rather than a provider's own error,
/// and a huge list is refused before any provider pays for it.
enum RerankRequest {
    static func check(_ json: JSONValue, maxDocuments: Int) throws(GatewayError) {
        let query = try json.requiredString("query")
        guard !query.isEmpty else { throw .invalidParameter("query", "'query' must not be empty.") }
        guard let value = json["documents"], !value.isNull else { throw .missingParameter("documents") }
        guard let documents = value.arrayValue else {
            throw .invalidParameter("documents", "'documents' must be a list of strings or of objects with a 'text'.")
        }
        guard !documents.isEmpty else { throw .invalidParameter("documents", "'documents' must not be empty.") }
        guard documents.count <= maxDocuments else {
            throw .invalidParameter("documents", "'documents' has \(documents.count) entries; at most \(maxDocuments) are reranked in one request.")
        }
        for (index, document) in documents.enumerated() where document.stringValue == nil && document["text"]?.stringValue == nil {
            throw .invalidParameter("documents[\(index)]", "'documents[\(index)]' must be a string or an object with a string 'text'.")
        }
        if let topN = json["top_n"], !topN.isNull {
            guard let n = topN.intValue, n >= 1 else { throw .invalidParameter("top_n", "'top_n' must be a positive integer.") }
        }
        _ = try json.optionalBool("return_documents")
    }
}
