import Foundation

/// An API key as stored: the SHA-256 of the key, never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
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

    public func allows(model: String) -> Bool { models.map { $0.contains(model) } ?? true }

    public func isExpired(now: Date = Date()) -> Bool { expiresAt.map { $0 <= now } ?? false }
}
