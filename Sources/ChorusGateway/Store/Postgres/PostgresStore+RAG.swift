import NIOCore
import PostgresNIO

/// RAG datastores as SQL, as in `SQLiteStore+RAG` (migration v6-rag): owners compared with `IS NOT DISTINCT FROM`,
/// a document written in one transaction with its datastore's row locked (so a concurrent delete either waits for
/// it or wins before it), a search streaming one datastore's vectors through `RAGRanking`.
extension PostgresStore {
    private typealias DatastoreRow = (Int64, Int64?, String, String, String, Bool, Double, String, Int64, Int64)

    private static func datastoreQuery(where condition: String, _ binds: (inout PostgresBindings) -> Void) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(RAGDatastore.masterOwnerName)
        binds(&bindings)
        return PostgresQuery(unsafeSQL: """
            SELECT s.id, s.owner_key_id, s.name, s.description, s.vectorizer, s.is_public, s.created_at,
                CASE WHEN s.owner_key_id IS NULL THEN $1 ELSE COALESCE(k.name, '') END AS owner_name,
                (SELECT COUNT(*) FROM rag_documents d WHERE d.datastore_id = s.id) AS document_count,
                (SELECT COUNT(*) FROM rag_chunks c WHERE c.datastore_id = s.id) AS chunk_count
            FROM rag_datastores s LEFT JOIN api_keys k ON k.id = s.owner_key_id
            WHERE \(condition) ORDER BY s.id
            """, binds: bindings)
    }

    private func datastores(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [RAGDatastore] {
        var found: [RAGDatastore] = []
        for try await row in try await connection.query(query, logger: logger).decode(DatastoreRow.self) {
            found.append(RAGDatastore(id: row.0, ownerKeyID: row.1, ownerName: row.7, name: row.2, description: row.3, vectorizer: row.4,
                                      isPublic: row.5, createdAt: row.6, documentCount: Int(row.8), chunkCount: Int(row.9)))
        }
        return found
    }

    public func insertDatastore(_ draft: RAGDatastoreDraft) async throws -> RAGDatastore {
        try await Self.described {
            try await pool.withConnection { [self] connection in
                var id: Int64 = 0
                for try await inserted in try await connection.query("""
                    INSERT INTO rag_datastores (owner_key_id, name, description, vectorizer, is_public, created_at)
                    VALUES (\(draft.ownerKeyID), \(draft.name), \(draft.description), \(draft.vectorizer), \(draft.isPublic), \(draft.createdAt))
                    RETURNING id
                    """, logger: logger).decode(Int64.self) { id = inserted }
                let query = Self.datastoreQuery(where: "s.id = $2") { $0.append(id) }
                guard let stored = try await datastores(query, on: connection).first else {
                    throw PostgresStoreError(reason: "rag datastore \(id) vanished after its insert")
                }
                return stored
            }
        }
    }

    public func datastores(visibleTo ownerKeyID: Int64?) async throws -> [RAGDatastore] {
        try await Self.described {
            let query = Self.datastoreQuery(where: "s.owner_key_id IS NOT DISTINCT FROM $2 OR s.is_public") { $0.append(ownerKeyID) }
            return try await pool.withConnection { [self] connection in try await datastores(query, on: connection) }
        }
    }

    public func datastore(id: Int64, visibleTo ownerKeyID: Int64?) async throws -> RAGDatastore? {
        try await Self.described {
            let query = Self.datastoreQuery(where: "s.id = $2 AND (s.owner_key_id IS NOT DISTINCT FROM $3 OR s.is_public)") {
                $0.append(id)
                $0.append(ownerKeyID)
            }
            return try await pool.withConnection { [self] connection in try await datastores(query, on: connection).first }
        }
    }

    public func deleteDatastore(id: Int64, ownerKeyID: Int64?) async throws -> Bool {
        try await Self.described {
            try await pool.withConnection { [self] connection in
                var deleted = false
                for try await _ in try await connection.query("""
                    DELETE FROM rag_datastores WHERE id = \(id) AND owner_key_id IS NOT DISTINCT FROM \(ownerKeyID) RETURNING id
                    """, logger: logger).decode(Int64.self) { deleted = true }
                return deleted
            }
        }
    }

    public func insertDocument(_ document: RAGDocumentDraft, ownerKeyID: Int64?) async throws -> RAGDocument? {
        try await Self.described {
            try await pool.withTransaction(logger: logger) { [self] connection in
                var owned = false
                for try await _ in try await connection.query("""
                    SELECT id FROM rag_datastores WHERE id = \(document.datastoreID) AND owner_key_id IS NOT DISTINCT FROM \(ownerKeyID)
                    FOR UPDATE
                    """, logger: logger).decode(Int64.self) { owned = true }
                guard owned else { return nil }
                var id: Int64 = 0
                for try await inserted in try await connection.query("""
                    INSERT INTO rag_documents (datastore_id, title, chunk_count, characters, created_at)
                    VALUES (\(document.datastoreID), \(document.title), \(Int64(document.chunks.count)), \(Int64(document.characters)),
                        \(document.createdAt)) RETURNING id
                    """, logger: logger).decode(Int64.self) { id = inserted }
                for (index, chunk) in document.chunks.enumerated() {
                    try await connection.query("""
                        INSERT INTO rag_chunks (document_id, datastore_id, chunk_index, text, vector, norm)
                        VALUES (\(id), \(document.datastoreID), \(Int64(index)), \(chunk.text),
                            \(ByteBuffer(bytes: RAGVector.bytes(of: chunk.vector))), \(RAGVector.norm(of: chunk.vector)))
                        """, logger: logger)
                }
                return RAGDocument(id: id, datastoreID: document.datastoreID, title: document.title, chunkCount: document.chunks.count,
                                   characters: document.characters, createdAt: document.createdAt)
            }
        }
    }

    public func searchChunks(datastoreID: Int64, query: [Float], limit: Int, minSimilarity: Double) async throws -> [RAGMatch] {
        let queryNorm = RAGVector.norm(of: query)
        return try await Self.described {
            try await pool.withConnection { [self] connection in
                var ranking = RAGRanking(limit: limit, minimum: minSimilarity)
                for try await (id, vector, norm) in try await connection.query("""
                    SELECT id, vector, norm FROM rag_chunks WHERE datastore_id = \(datastoreID) ORDER BY id
                    """, logger: logger).decode((Int64, ByteBuffer, Double).self) {
                    if let similarity = RAGVector.cosine(stored: vector.readableBytesView, norm: norm, query: query, queryNorm: queryNorm) {
                        ranking.offer(id: id, similarity: similarity)
                    }
                }
                var matches: [RAGMatch] = []
                for best in ranking.best {
                    for try await (documentID, title, index, text) in try await connection.query("""
                        SELECT c.document_id, d.title, c.chunk_index, c.text FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id
                        WHERE c.id = \(best.id)
                        """, logger: logger).decode((Int64, String, Int64, String).self) {
                        matches.append(RAGMatch(chunkID: best.id, documentID: documentID, title: title, chunkIndex: Int(index), text: text,
                                                similarity: best.similarity))
                    }
                }
                return matches
            }
        }
    }
}
