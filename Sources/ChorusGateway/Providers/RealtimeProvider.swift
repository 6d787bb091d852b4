import Logging

/// What a realtime session is opened for: the upstream URL differs (OpenAI's
/// `/realtime?model=…` for a conversation, `/realtime?intent=transcription` for a transcription session).
enum RealtimeIntent: Sendable, Equatable {
    case conversation
    case transcription
}

/// A provider that opens realtime sessions (`/v1/realtime`, and the speech and transcription readers that use one).
protocol RealtimeProvider: Sendable {
    /// Opens the far side of one session; a refusal (handshake refused, unreachable, too slow) is a GatewayError
    /// before anything reaches the client.
    func openRealtimeSession(model: ModelConfig, intent: RealtimeIntent, logger: Logger) async throws(GatewayError) -> any RealtimeSession
}
