/// A document to store in a datastore: every chunk already embedded, so it is written whole or not at all.
public struct RAGDocumentDraft: Sendable, Equatable {
    public var datastoreID: Int64
    public var title: String
    /// In reading order; the position is the chunk's `chunk_index`.
    public var chunks: [RAGChunkDraft]
    /// Characters of the document's text.
    public var characters: Int
    /// Unix seconds.
    public var createdAt: Double

    public init(datastoreID: Int64, title: String, chunks: [RAGChunkDraft], characters: Int, createdAt: Double) {
        self.datastoreID = datastoreID
        self.title = title
        self.chunks = chunks
        self.characters = characters
        self.createdAt = createdAt
    }
}

public struct RAGChunkDraft: Sendable, Equatable {
    public var text: String
    public var vector: [Float]

    public init(text: String, vector: [Float]) {
        self.text = text
        self.vector = vector
    }
}

/// A stored document (`rag_documents`); its chunks are in `rag_chunks`.
public struct RAGDocument: Sendable, Equatable {
    public var id: Int64
    public var datastoreID: Int64
    public var title: String
    public var chunkCount: Int
    public var characters: Int
    public var createdAt: Double

    public init(id: Int64, datastoreID: Int64, title: String, chunkCount: Int, characters: Int, createdAt: Double) {
        self.id = id
        self.datastoreID = datastoreID
        self.title = title
        self.chunkCount = chunkCount
        self.characters = characters
        self.createdAt = createdAt
    }
}
