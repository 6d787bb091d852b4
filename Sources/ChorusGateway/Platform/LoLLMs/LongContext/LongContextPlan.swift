/// How a text is fitted into a model's context: each call's input budget, in estimated tokens, once the answer
/// (`max_generation_tokens`), the prompt and the instructions around them are set aside.
///
/// Tokens are estimated as UTF-8 bytes / 3 (rounded up): English runs at about 4–5 bytes a token, so the estimate
/// is on the safe side there, and CJK text (3 bytes a character, about a token each) is counted about right.
struct LongContextPlan: Sendable, Equatable {
    /// The model's context, in tokens (`context_length`, else `defaultContext`).
    let contextTokens: Int
    let maxGenerationTokens: Int
    /// Tokens left in one call for the text (a chunk, or the partial results being combined).
    let inputTokens: Int

    /// Assumed when a model's config gives no `context_length`.
    static let defaultContext = 4096
    static let bytesPerToken = 3
    /// The instructions and part headers each call adds around the prompt and the text.
    static let overheadTokens = 96
    /// A plan that leaves a call less room than this for its text is refused: the prompt is too long for the model.
    static let minimumInputTokens = 128

    static func tokens(_ text: some StringProtocol) -> Int { (text.utf8.count + bytesPerToken - 1) / bytesPerToken }

    init(contextLength: Int?, maxGenerationTokens: Int?, prompt: String) throws(GatewayError) {
        let context = contextLength ?? Self.defaultContext
        let generation = maxGenerationTokens ?? min(1024, context / 4)
        guard generation <= context / 2 else {
            throw .invalidParameter("max_generation_tokens",
                                    "'max_generation_tokens' is \(generation); the model's context of \(context) tokens allows at most \(context / 2) (half of it).")
        }
        let input = context - generation - Self.tokens(prompt) - Self.overheadTokens
        guard input >= Self.minimumInputTokens else {
            throw .invalidParameter("prompt",
                                    "The prompt (about \(Self.tokens(prompt)) tokens) leaves no room for the text in the model's context of \(context) tokens.")
        }
        self.contextTokens = context
        self.maxGenerationTokens = generation
        self.inputTokens = input
    }

    /// The most UTF-8 bytes of text one call carries.
    var inputBytes: Int { inputTokens * Self.bytesPerToken }

    /// The partial results of one round, grouped for the next: greedily, as many as fit in one call's input, at
    /// least two a group (so every round at least halves them); a group that still does not fit has each result
    /// shortened to an equal share.
    func reduceGroups(_ partials: [String]) -> [[String]] {
        var groups: [[String]] = []
        var current: [String] = []
        var bytes = 0
        for partial in partials {
            let size = partial.utf8.count
            if current.count >= 2, bytes + size > inputBytes {
                groups.append(current)
                current = []
                bytes = 0
            }
            current.append(partial)
            bytes += size
        }
        if !current.isEmpty {
            // A last lone result joins the group before it rather than be "combined" alone.
            if current.count == 1, var last = groups.popLast() {
                last += current
                current = last
            }
            groups.append(current)
        }
        return groups.map { group in
            let total = group.reduce(0) { $0 + $1.utf8.count }
            guard total > inputBytes else { return group }
            let share = inputBytes / group.count
            return group.map { Self.prefix($0, bytes: share) }
        }
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends between two characters.
    static func prefix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        let whole = text[...]
        return String(whole[..<TextChunker.end(of: whole, fitting: bytes)])
    }
}
