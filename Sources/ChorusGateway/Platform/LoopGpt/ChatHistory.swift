import ChorusWire

/// Which earlier messages of a conversation go upstream with a new one: the latest `maxMessages`
/// (`server.chat_history_messages`), then of those only the latest whose text fits in `maxCharacters`
/// (`server.chat_history_characters`), starting at a user message so the model sees whole turns. A turn's two
/// messages are stored together (`GatewayStorage.appendTurn`), so the cut always falls between turns.
struct ChatHistory: Sendable {
    var maxMessages: Int
    var maxCharacters: Int

    init(maxMessages: Int, maxCharacters: Int) {
        self.maxMessages = maxMessages
        self.maxCharacters = maxCharacters
    }

    init(config: ServerConfig) {
        self.init(maxMessages: config.chatHistoryMessages, maxCharacters: config.chatHistoryCharacters)
    }

    /// `stored` oldest first; the chat-completions `messages` entries to send before the new message, oldest first.
    func messages(from stored: [ChatMessageRecord]) -> [JSONValue] {
        var kept: [ChatMessageRecord] = []
        var characters = 0
        for message in stored.suffix(maxMessages).reversed() {
            characters += message.content.count
            if characters > maxCharacters { break }
            kept.append(message)
        }
        kept.reverse()
        let start = kept.firstIndex { $0.role == .user } ?? kept.endIndex
        return kept[start...].map { JSONValue.object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) }
    }
}
