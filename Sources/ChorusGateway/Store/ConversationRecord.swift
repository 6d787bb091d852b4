import Foundation

/// A conversation of the LoopGpt-style chat API (`conversations`): one key's exchanges with chat models.
public struct ConversationRecord: Sendable, Equatable, Codable {
    public var id: Int64
    /// The key that started it; nil for the master key. Only this owner reads or continues it.
    public var ownerKeyID: Int64?
    /// The start of its first message, for listings.
    public var title: String
    /// The catalog name of the model that answered its latest turn.
    public var model: String
    /// Unix seconds.
    public var createdAt: Double
    /// Unix seconds of its latest turn: listings show the most recently continued first.
    public var updatedAt: Double
    public var messageCount: Int

    public init(id: Int64, ownerKeyID: Int64?, title: String, model: String, createdAt: Double, updatedAt: Double,
                messageCount: Int) {
        self.id = id
        self.ownerKeyID = ownerKeyID
        self.title = title
        self.model = model
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.messageCount = messageCount
    }

    enum CodingKeys: String, CodingKey {
        case id
        case ownerKeyID = "owner_key_id"
        case title, model
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case messageCount = "message_count"
    }

    /// The longest title kept: the start of the first message.
    public static let maxTitleCharacters = 80

    public static func title(for message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > maxTitleCharacters ? String(trimmed.prefix(maxTitleCharacters - 1)) + "…" : trimmed
    }
}
