import ChorusWire
import NIOConcurrencyHelpers

/// Where a session's server events go: each gets its `event_id` and becomes one text frame of `outbound`. Shared by
/// the session and the response it runs (a response streams deltas while the session goes on reading the client).
final class RealtimeEventSink: Sendable {
    private let continuation: AsyncStream<RealtimeFrame>.Continuation
    private let counter = NIOLockedValueBox(0)
    let prefix: String

    init(continuation: AsyncStream<RealtimeFrame>.Continuation, prefix: String) {
        self.continuation = continuation
        self.prefix = prefix
    }

    /// `event` with `event_id` first (the order OpenAI writes), as one frame.
    func send(_ event: JSONValue) {
        guard case .object(let members) = event else { return }
        let id = counter.withLockedValue { $0 += 1; return $0 }
        continuation.yield(.text(JSONValue.object([("event_id", .string("event_\(prefix)\(id)"))] + members).jsonString))
    }

    /// An id for an item, response or session, unique within this session.
    func makeID(_ kind: String) -> String {
        let id = counter.withLockedValue { $0 += 1; return $0 }
        return "\(kind)_\(prefix)\(id)"
    }

    /// The session's one conversation.
    func makeConversationID() -> String { "conv_\(prefix)0" }

    /// The client's mistake as an `error` event; the session goes on.
    func send(_ error: CascadeEventError, clientEventID: String? = nil) {
        var body: JSONValue = ["type": .string(error.type), "code": .string(error.code), "message": .string(error.message),
                               "param": error.param.map(JSONValue.string) ?? .null]
        body.set("event_id", clientEventID.map(JSONValue.string) ?? .null)
        send(["type": "error", "error": body])
    }

    func finish() { continuation.finish() }
}
