/// One WebSocket message of a realtime session, as the gateway passes it between the client and the session's far
/// side. Text frames carry the JSON events of the OpenAI Realtime protocol and are relayed byte for byte.
public enum RealtimeFrame: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// How and why one side ended a realtime session; the other side is closed with the same code.
public struct RealtimeClose: Sendable, Equatable {
    public var code: UInt16
    public var reason: String

    public init(code: UInt16, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    public static let normal = RealtimeClose(code: 1000)
    /// The peer broke the protocol or would not read (1008: policy violation).
    public static func policy(_ reason: String) -> RealtimeClose { RealtimeClose(code: 1008, reason: reason) }
    /// The far side failed or went away (1011: internal error); the reason never carries internal detail.
    public static func failed(_ reason: String) -> RealtimeClose { RealtimeClose(code: 1011, reason: reason) }
}
