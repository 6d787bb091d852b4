import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What the HTTP server enforces on client connections, one per application: the time limits each
/// `ConnectionGuard` applies, the cap on open connections, and the grace a shutdown gives requests in flight.
public final class ServerConnections: Sendable {
    let timeouts: ConnectionTimeouts.Limits
    /// 0 = no cap.
    let maxConnections: Int
    let shutdownGrace: Duration
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var open = 0
        var graceOverLogged = false
        /// Refusals since the last warning, and when that was: a flood gets a line every 10 s, not one each.
        var refusedSinceWarning = 0
        var lastRefusalWarning: ContinuousClock.Instant?
    }

    init(config: ServerConfig, metrics: GatewayMetrics, logger: Logger) {
        func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64((seconds * 1e9).rounded())) }
        timeouts = ConnectionTimeouts.Limits(
            header: amount(config.headerTimeoutSeconds), idle: amount(config.idleTimeoutSeconds),
            bodyProgress: amount(config.bodyTimeoutSeconds))
        maxConnections = config.maxConnections
        shutdownGrace = .seconds(config.shutdownGraceSeconds)
        self.metrics = metrics
        self.logger = logger
    }

    /// Connections open and admitted now.
    public var openCount: Int { state.withLockedValue { $0.open } }

    /// Counts a new connection in, or says it is one too many.
    func admit() -> Bool {
        state.withLockedValue { state in
            if maxConnections > 0, state.open >= maxConnections { return false }
            state.open += 1
            metrics.connectionsOpen(state.open)
            return true
        }
    }

    /// An admitted connection closed.
    func release() {
        state.withLockedValue { state in
            state.open -= 1
            metrics.connectionsOpen(state.open)
        }
    }

    func refused() {
        metrics.connectionRefused()
        let now = ContinuousClock.now
        let count: Int? = state.withLockedValue { state in
            state.refusedSinceWarning += 1
            if let last = state.lastRefusalWarning, now - last < .seconds(10) { return nil }
            defer { state.refusedSinceWarning = 0; state.lastRefusalWarning = now }
            return state.refusedSinceWarning
        }
        if let count {
            logger.warning("connections refused: server.max_connections reached", metadata: [
                "chorus.connections.max": .stringConvertible(maxConnections), "chorus.connections.refused": .stringConvertible(count),
            ])
        }
    }

    func timedOut(_ expiry: ConnectionTimeouts.Expiry) {
        let kind = switch expiry {
        case .idle: "idle"
        case .header: "header"
        case .body: "body"
        }
        metrics.connectionTimedOut(kind: kind)
        // Idle keep-alive connections closing is routine; a client too slow with a request is worth a line.
        if expiry != .idle { logger.notice("connection closed: request \(kind) too slow", metadata: ["chorus.timeout": .string(kind)]) }
    }

    /// The shutdown grace ran out with `connection` still serving: its requests' usage rows say 503 (the server
    /// ended them; 499 stays "the client went away") before their tasks are cancelled. Returns their request ids.
    @discardableResult
    func graceOver(_ connection: ClientConnection) -> [String] {
        let seconds = Double(shutdownGrace.components.seconds) + Double(shutdownGrace.components.attoseconds) / 1e18
        let cancelled = connection.finishInFlight(
            status: 503, reason: "cancelled at shutdown: still running after server.shutdown_grace_seconds (\(seconds) s)")
        let first = state.withLockedValue { state in
            defer { state.graceOverLogged = true }
            return !state.graceOverLogged
        }
        if first {
            logger.warning("shutdown grace period over: cancelling what is still running",
                           metadata: ["chorus.shutdown_grace_seconds": .stringConvertible(seconds)])
        }
        if !cancelled.isEmpty { metrics.requestsCancelledAtShutdown(cancelled.count) }
        return cancelled
    }
}
