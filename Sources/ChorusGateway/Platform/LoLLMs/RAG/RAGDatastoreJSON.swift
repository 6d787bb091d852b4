import ChorusWire

/// The wire shapes of the RAG routes, as the LoLLMs seed lists them.
enum RAGDatastoreJSON {
    /// A listing entry: `{id, name, description, vectorizer, is_public, owner_username}`; `detailed` adds the
    /// counts and the creation time (one datastore's own answer).
    static func datastore(_ store: RAGDatastore, detailed: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .number(Int(store.id))),
            ("name", .string(store.name)),
            ("description", .string(store.description)),
            ("vectorizer", .string(store.vectorizer)),
            ("is_public", .bool(store.isPublic)),
            ("owner_username", .string(store.ownerName)),
        ]
        if detailed {
            members += [
                ("documents", .number(store.documentCount)),
                ("chunks", .number(store.chunkCount)),
                ("created_at", .number(Int(store.createdAt))),
            ]
        }
        return .object(members)
    }

    static func document(_ document: RAGDocument) -> JSONValue {
        .object([
            ("id", .number(Int(document.id))),
            ("datastore_id", .number(Int(document.datastoreID))),
            ("title", .string(document.title)),
            ("chunks", .number(document.chunkCount)),
        ])
    }

    /// Similarity as a percentage (cosine × 100), to two decimals.
    static func match(_ match: RAGMatch) -> JSONValue {
        .object([
            ("document_id", .number(Int(match.documentID))),
            ("title", .string(match.title)),
            ("chunk_index", .number(match.chunkIndex)),
            ("text", .string(match.text)),
            ("similarity", .number((match.similarity * 10_000).rounded() / 100)),
        ])
    }

    static func list(_ items: [JSONValue]) -> JSONValue {
        .object([("object", .string("list")), ("data", .array(items))])
    }
}
