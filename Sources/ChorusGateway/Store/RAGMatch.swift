/// One chunk a datastore search found, with its cosine similarity to the query (-1…1).
public struct RAGMatch: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: Int64
    public var title: String
    public var chunkIndex: Int
    public var text: String
    public var similarity: Double

    public init(chunkID: Int64, documentID: Int64, title: String, chunkIndex: Int, text: String, similarity: Double) {
        self.chunkID = chunkID
        self.documentID = documentID
        self.title = title
        self.chunkIndex = chunkIndex
        self.text = text
        self.similarity = similarity
    }
}
