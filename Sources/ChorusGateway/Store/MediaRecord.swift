/// A stored image handed out as `public_url/v1/media/{id}` (`media`).
public struct MediaRecord: Sendable, Equatable, Codable {
    public var id: String
    public var sha256: String
    public var contentType: String
    /// The file under the media directory; several rows share one file when they store the same bytes.
    public var fileName: String
    public var bytes: Int
    /// Unix seconds.
    public var createdAt: Double
    public var expiresAt: Double
    /// The key whose request stored the image; nil for the master key.
    public var ownerKeyID: Int64?
    /// The request that made the image (`x-request-id`): its usage row in `/admin/logs` links to the image while
    /// it is stored. Nil on rows stored before the column existed.
    public var requestID: String?

    public init(id: String, sha256: String, contentType: String, fileName: String, bytes: Int, createdAt: Double, expiresAt: Double,
                ownerKeyID: Int64? = nil, requestID: String? = nil) {
        self.id = id
        self.sha256 = sha256
        self.contentType = contentType
        self.fileName = fileName
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.ownerKeyID = ownerKeyID
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, sha256
        case contentType = "content_type"
        case fileName = "file_name"
        case bytes
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case ownerKeyID = "owner_key_id"
        case requestID = "request_id"
    }
}
