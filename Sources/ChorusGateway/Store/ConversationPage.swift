/// One page of an owner's conversations and how many it has in all.
public struct ConversationPage: Sendable, Equatable {
    public var conversations: [ConversationRecord]
    public var total: Int

    public init(conversations: [ConversationRecord], total: Int) {
        self.conversations = conversations
        self.total = total
    }
}
