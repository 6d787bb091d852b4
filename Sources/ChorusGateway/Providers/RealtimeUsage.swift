/// What one realtime session used, summed over its responses; written as the session's one usage row.
public struct RealtimeUsage: Sendable, Equatable {
    public var inputTextTokens = 0
    public var outputTextTokens = 0
    public var inputAudioTokens = 0
    public var outputAudioTokens = 0
    /// Seconds of audio the client sent and the session spoke: what an in-process engine counts instead of tokens.
    public var inputAudioSeconds = 0.0
    public var outputAudioSeconds = 0.0
    /// Characters the session spoke (the offline engine's voice).
    public var characters = 0

    public init() {}

    public static func += (lhs: inout RealtimeUsage, rhs: RealtimeUsage) {
        lhs.inputTextTokens += rhs.inputTextTokens
        lhs.outputTextTokens += rhs.outputTextTokens
        lhs.inputAudioTokens += rhs.inputAudioTokens
        lhs.outputAudioTokens += rhs.outputAudioTokens
        lhs.inputAudioSeconds += rhs.inputAudioSeconds
        lhs.outputAudioSeconds += rhs.outputAudioSeconds
        lhs.characters += rhs.characters
    }
}
