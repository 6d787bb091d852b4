/// A RAG datastore of the LoLLMs surface (`rag_datastores`): documents cut into chunks, each with the vector its
/// `vectorizer` (an embeddings model) gave it, searched by cosine similarity.
public struct RAGDatastore: Sendable, Equatable {
    public var id: Int64
    /// The key that made it; nil for the master key. Only the owner adds documents or deletes it.
    public var ownerKeyID: Int64?
    /// The owner's key name as it is now ("admin" for the master key), read with the datastore.
    public var ownerName: String
    public var name: String
    public var description: String
    /// The catalog name of the embeddings model its chunks and queries are embedded with.
    public var vectorizer: String
    /// Visible to, and searchable by, every key (still written by its owner only).
    public var isPublic: Bool
    /// Unix seconds.
    public var createdAt: Double
    public var documentCount: Int
    public var chunkCount: Int

    public init(id: Int64, ownerKeyID: Int64?, ownerName: String, name: String, description: String, vectorizer: String,
                isPublic: Bool, createdAt: Double, documentCount: Int = 0, chunkCount: Int = 0) {
        self.id = id
        self.ownerKeyID = ownerKeyID
        self.ownerName = ownerName
        self.name = name
        self.description = description
        self.vectorizer = vectorizer
        self.isPublic = isPublic
        self.createdAt = createdAt
        self.documentCount = documentCount
        self.chunkCount = chunkCount
    }

    /// What `owner_username` says for the master key's datastores (the LoLLMs seed's administrator).
    public static let masterOwnerName = "admin"

    /// Whether `ownerKeyID` (nil: the master key) may read and search it.
    public func isVisible(to ownerKeyID: Int64?) -> Bool { isPublic || self.ownerKeyID == ownerKeyID }
}

/// A datastore to create: the storage assigns the id and reads the owner's name.
public struct RAGDatastoreDraft: Sendable, Equatable {
    public var ownerKeyID: Int64?
    public var name: String
    public var description: String
    public var vectorizer: String
    public var isPublic: Bool
    public var createdAt: Double

    public init(ownerKeyID: Int64?, name: String, description: String, vectorizer: String, isPublic: Bool, createdAt: Double) {
        self.ownerKeyID = ownerKeyID
        self.name = name
        self.description = description
        self.vectorizer = vectorizer
        self.isPublic = isPublic
        self.createdAt = createdAt
    }
}
