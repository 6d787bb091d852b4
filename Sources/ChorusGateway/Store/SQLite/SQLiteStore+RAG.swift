import Foundation
import GRDB

/// RAG datastores as SQL (the tables of migration v11-rag). Owners are compared with `IS` (NULL is the master
/// key's own); a search streams one datastore's vectors through `RAGRanking` and reads the texts of the winners only.
extension SQLiteStore {
    /// A datastore row with its owner's current key name and its counts.
    private static let datastoreColumns = """
        SELECT s.id, s.owner_key_id, s.name, s.description, s.vectorizer, s.is_public, s.created_at,
            CASE WHEN s.owner_key_id IS NULL THEN ? ELSE COALESCE(k.name, '') END AS owner_name,
            (SELECT COUNT(*) FROM rag_documents d WHERE d.datastore_id = s.id) AS document_count,
            (SELECT COUNT(*) FROM rag_chunks c WHERE c.datastore_id = s.id) AS chunk_count
        FROM rag_datastores s LEFT JOIN api_keys k ON k.id = s.owner_key_id
        """

    private static func datastore(_ row: Row) -> RAGDatastore {
        RAGDatastore(id: row["id"], ownerKeyID: row["owner_key_id"], ownerName: row["owner_name"], name: row["name"],
                     description: row["description"], vectorizer: row["vectorizer"], isPublic: row["is_public"],
                     createdAt: row["created_at"], documentCount: row["document_count"], chunkCount: row["chunk_count"])
    }

    public func insertDatastore(_ draft: RAGDatastoreDraft) async throws -> RAGDatastore {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO rag_datastores (owner_key_id, name, description, vectorizer, is_public, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [draft.ownerKeyID, draft.name, draft.description, draft.vectorizer, draft.isPublic, draft.createdAt])
            let id = db.lastInsertedRowID
            guard let row = try Row.fetchOne(db, sql: Self.datastoreColumns + " WHERE s.id = ?",
                                             arguments: [RAGDatastore.masterOwnerName, id]) else {
                throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "rag datastore \(id) vanished after its insert")
            }
            return Self.datastore(row)
        }
    }

    public func datastores(visibleTo ownerKeyID: Int64?) async throws -> [RAGDatastore] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: Self.datastoreColumns + " WHERE s.owner_key_id IS ? OR s.is_public = 1 ORDER BY s.id",
                             arguments: [RAGDatastore.masterOwnerName, ownerKeyID]).map(Self.datastore)
        }
    }

    public func datastore(id: Int64, visibleTo ownerKeyID: Int64?) async throws -> RAGDatastore? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: Self.datastoreColumns + " WHERE s.id = ? AND (s.owner_key_id IS ? OR s.is_public = 1)",
                             arguments: [RAGDatastore.masterOwnerName, id, ownerKeyID]).map(Self.datastore)
        }
    }

    public func deleteDatastore(id: Int64, ownerKeyID: Int64?) async throws -> Bool {
        try await pool.write { db in
            // The documents and chunks go with it (ON DELETE CASCADE; GRDB turns foreign keys on).
            try db.execute(sql: "DELETE FROM rag_datastores WHERE id = ? AND owner_key_id IS ?", arguments: [id, ownerKeyID])
            return db.changesCount > 0
        }
    }

    public func insertDocument(_ document: RAGDocumentDraft, ownerKeyID: Int64?) async throws -> RAGDocument? {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM rag_datastores WHERE id = ? AND owner_key_id IS ?)",
                                    arguments: [document.datastoreID, ownerKeyID]) == true else { return nil }
            try db.execute(sql: """
                INSERT INTO rag_documents (datastore_id, title, chunk_count, characters, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [document.datastoreID, document.title, document.chunks.count, document.characters, document.createdAt])
            let id = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: """
                INSERT INTO rag_chunks (document_id, datastore_id, chunk_index, text, vector, norm) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for (index, chunk) in document.chunks.enumerated() {
                try insert.execute(arguments: [id, document.datastoreID, index, chunk.text, Data(RAGVector.bytes(of: chunk.vector)),
                                               RAGVector.norm(of: chunk.vector)])
            }
            return RAGDocument(id: id, datastoreID: document.datastoreID, title: document.title, chunkCount: document.chunks.count,
                               characters: document.characters, createdAt: document.createdAt)
        }
    }

    public func searchChunks(datastoreID: Int64, query: [Float], limit: Int, minSimilarity: Double) async throws -> [RAGMatch] {
        let queryNorm = RAGVector.norm(of: query)
        return try await pool.read { db in
            var ranking = RAGRanking(limit: limit, minimum: minSimilarity)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, vector, norm FROM rag_chunks WHERE datastore_id = ? ORDER BY id",
                                           arguments: [datastoreID])
            while let row = try rows.next() {
                // The BLOB is read in place: no copy per chunk.
                let norm: Double = row[2]
                let similarity = try row.withUnsafeData(atIndex: 1) { data in
                    data.flatMap { RAGVector.cosine(stored: $0, norm: norm, query: query, queryNorm: queryNorm) }
                }
                if let similarity { ranking.offer(id: row[0], similarity: similarity) }
            }
            var matches: [RAGMatch] = []
            for best in ranking.best {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT c.document_id, d.title, c.chunk_index, c.text FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id
                    WHERE c.id = ?
                    """, arguments: [best.id]) else { continue }
                matches.append(RAGMatch(chunkID: best.id, documentID: row[0], title: row[1], chunkIndex: row[2], text: row[3],
                                        similarity: best.similarity))
            }
            return matches
        }
    }
}
