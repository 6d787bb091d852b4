import NIOConcurrencyHelpers

/// One client connection as the request side sees it. Its `ConnectionGuard` (on the event loop) says when the
/// client hung up; routes that stream register what to stop then. The requests in flight on it are known, so a
/// shutdown that runs out of grace can write their usage rows as cancelled before cancelling them.
///
/// It replaces Hummingbird's `consumeWithInboundCloseHandler` for streamed answers: that one reads the connection's
/// request stream itself and cancels the read when the answer ends, which ends the stream for good — the connection
/// closed after every streamed answer without `Connection: close`, and a keep-alive client's next request on it
/// failed. Watching the channel's close events instead leaves the request stream to the server loop.
final class ClientConnection: Sendable {
    /// The connection the current task serves: set by `GatewayHTTPChannel` around the connection's request loop,
    /// read by `GatewayRequestContext` when a request starts.
    @TaskLocal static var current: ClientConnection?

    private struct State {
        var closed = false
        var nextToken = 0
        var closeHandlers: [Int: @Sendable () -> Void] = [:]
        var inFlight: [WeakTrace] = []
    }

    private struct WeakTrace {
        weak var trace: RequestTrace?
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Runs `body`; if the client hangs up (closes its side or the connection drops) before it returns, `onClose`
    /// runs at once, on whatever thread noticed. A client already gone runs `onClose` before `body` starts.
    func whileConnected<T>(onClose: @escaping @Sendable () -> Void, _ body: () async throws -> T) async rethrows -> T {
        let token: Int? = state.withLockedValue { state in
            guard !state.closed else { return nil }
            let token = state.nextToken
            state.nextToken += 1
            state.closeHandlers[token] = onClose
            return token
        }
        if token == nil { onClose() }
        defer {
            if let token { _ = state.withLockedValue { $0.closeHandlers.removeValue(forKey: token) } }
        }
        return try await body()
    }

    /// The client closed its side, or the connection is gone.
    func clientClosed() {
        let handlers = state.withLockedValue { state -> [@Sendable () -> Void] in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.closeHandlers.removeAll() }
            return Array(state.closeHandlers.values)
        }
        for handler in handlers { handler() }
    }

    /// A request started on this connection (weakly held: a trace dropped unfinished still writes its 499 row).
    func track(_ trace: RequestTrace) {
        state.withLockedValue { state in
            state.inFlight.removeAll { $0.trace?.isFinished ?? true }
            state.inFlight.append(WeakTrace(trace: trace))
        }
    }

    /// Finishes the usage row of every request still in flight with `status`; returns their request ids.
    func finishInFlight(status: Int, reason: String) -> [String] {
        let traces = state.withLockedValue { state -> [RequestTrace] in
            defer { state.inFlight.removeAll() }
            return state.inFlight.compactMap { $0.trace }.filter { !$0.isFinished }
        }
        for trace in traces { trace.finish(status: status, error: reason) }
        return traces.map(\.requestID)
    }
}
