/// One exchange to store: the caller's message and the model's answer, written together or not at all, so a
/// failed call never leaves a question without its answer in the history sent upstream next time.
public struct ConversationTurn: Sendable {
    /// The conversation to continue; nil starts a new one.
    public var conversationID: Int64?
    /// The caller's key; nil for the master key.
    public var ownerKeyID: Int64?
    /// The catalog name of the model that answered.
    public var model: String
    public var userMessage: String
    public var assistantMessage: String
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// Unix seconds.
    public var at: Double

    public init(conversationID: Int64?, ownerKeyID: Int64?, model: String, userMessage: String, assistantMessage: String,
                promptTokens: Int? = nil, completionTokens: Int? = nil, at: Double) {
        self.conversationID = conversationID
        self.ownerKeyID = ownerKeyID
        self.model = model
        self.userMessage = userMessage
        self.assistantMessage = assistantMessage
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.at = at
    }
}

/// What storing a turn made: the conversation as it is now and the two messages' ids.
public struct StoredTurn: Sendable, Equatable {
    public var conversation: ConversationRecord
    public var userMessageID: Int64
    public var assistantMessageID: Int64

    public init(conversation: ConversationRecord, userMessageID: Int64, assistantMessageID: Int64) {
        self.conversation = conversation
        self.userMessageID = userMessageID
        self.assistantMessageID = assistantMessageID
    }
}
