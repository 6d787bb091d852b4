import Foundation

/// An API key as stored (`api_keys`): the SHA-256 of the key, never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    /// Assigned by the storage on insert.
    public var id: Int64
    public var name: String
    public var keyHash: String
    /// The key's last four characters, so a person can tell keys apart in `chorus keys list`.
    public var keyHint: String
    public var rpm: Int?
    /// nil = every model.
    public var models: [String]?
    public var expiresAt: Date?
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, name: String, keyHash: String, keyHint: String, rpm: Int?, models: [String]?,
                expiresAt: Date?, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.keyHint = keyHint
        self.rpm = rpm
        self.models = models
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public func allows(model: String) -> Bool { models.map { $0.contains(model) } ?? true }

    public func isExpired(now: Date = Date()) -> Bool { expiresAt.map { $0 <= now } ?? false }
}

/// The columns are the coding keys. `models` is one comma-separated text column (as the v1 migration made it),
/// and `id` is decoded but never encoded: the database assigns it. Optionals use `encodeIfPresent`, which a
/// record encoder turns into NULL.
extension APIKeyRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name
        case keyHash = "key_hash"
        case keyHint = "key_hint"
        case rpm, models
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        keyHash = try container.decode(String.self, forKey: .keyHash)
        keyHint = try container.decode(String.self, forKey: .keyHint)
        rpm = try container.decodeIfPresent(Int.self, forKey: .rpm)
        models = try container.decodeIfPresent(String.self, forKey: .models).map { $0.split(separator: ",").map(String.init) }
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        revokedAt = try container.decodeIfPresent(Date.self, forKey: .revokedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(keyHash, forKey: .keyHash)
        try container.encode(keyHint, forKey: .keyHint)
        try container.encodeIfPresent(rpm, forKey: .rpm)
        try container.encodeIfPresent(models.map { $0.joined(separator: ",") }, forKey: .models)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(revokedAt, forKey: .revokedAt)
    }
}
