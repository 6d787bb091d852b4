/// One message of a conversation (`chat_messages`): what the caller said, or what the model answered.
public struct ChatMessageRecord: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable {
        case user, assistant
    }

    public var id: Int64
    public var conversationID: Int64
    public var role: Role
    public var content: String
    /// The catalog name of the model that answered (assistant messages only).
    public var model: String?
    /// Tokens the provider counted for the message: the prompt for a user message (history included), the
    /// completion for an assistant message; nil when the provider did not say.
    public var tokens: Int?
    /// Unix seconds.
    public var createdAt: Double

    public init(id: Int64, conversationID: Int64, role: Role, content: String, model: String? = nil, tokens: Int? = nil,
                createdAt: Double) {
        self.id = id
        self.conversationID = conversationID
        self.role = role
        self.content = content
        self.model = model
        self.tokens = tokens
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case conversationID = "conversation_id"
        case role, content, model, tokens
        case createdAt = "created_at"
    }
}
