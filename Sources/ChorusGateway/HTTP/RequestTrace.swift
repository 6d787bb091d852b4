import Atomics
import Foundation
import Hummingbird
import NIOConcurrencyHelpers

/// Follows one request from arrival to its usage row. Exactly one row is written: by `finish`, or — when the
/// response is dropped without finishing (the client went away before the body ran) — by `deinit`.
final class RequestTrace: Sendable {
    private struct State {
        var record: UsageRecord
        var firstByte: ContinuousClock.Instant?
        var finished = false
    }

    let start = ContinuousClock.now
    let requestID: String
    private let state: NIOLockedValueBox<State>
    private let usageLog: UsageLog
    private let metrics: GatewayMetrics

    init(route: String, usageLog: UsageLog, metrics: GatewayMetrics) {
        let requestID = Self.makeRequestID()
        self.requestID = requestID
        self.state = NIOLockedValueBox(State(record: UsageRecord(requestID: requestID, route: route)))
        self.usageLog = usageLog
        self.metrics = metrics
    }

    func update(_ change: (inout UsageRecord) -> Void) {
        state.withLockedValue { change(&$0.record) }
    }

    func markFirstByte() {
        state.withLockedValue { state in
            if state.firstByte == nil { state.firstByte = .now }
        }
    }

    var route: String { state.withLockedValue { $0.record.route } }
    var provider: String? { state.withLockedValue { $0.record.provider } }

    /// Finishes a response that was built whole before it is returned: its first byte is ready now, so the row
    /// gets a time to first byte (equal to the latency) like a streamed one, instead of none.
    func finishWhole(status: Int, error: String? = nil) {
        markFirstByte()
        finish(status: status, error: error)
    }

    func finish(status: Int, error: String? = nil) {
        let now = ContinuousClock.now
        let record: UsageRecord? = state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.finished = true
            state.record.status = status
            if let error, state.record.error == nil { state.record.error = String(error.prefix(500)) }
            state.record.latencyMs = Self.milliseconds(now - start)
            if let firstByte = state.firstByte { state.record.ttfbMs = Self.milliseconds(firstByte - start) }
            return state.record
        }
        guard let record else { return }
        usageLog.record(record)
        metrics.requestFinished(route: record.route, status: status, duration: now - start)
    }

    deinit {
        finish(status: 499, error: "client closed the connection before the response was sent")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// `req_` + a per-process random prefix + a counter: unique without a syscall per request (the id is a
    /// correlation handle, not a secret).
    static func makeRequestID() -> String {
        let n = requestCounter.wrappingIncrementThenLoad(ordering: .relaxed)
        return "req_" + requestIDPrefix + String(n, radix: 16)
    }

    private static let requestCounter = ManagedAtomic<UInt64>(0)
    private static let requestIDPrefix: String = {
        var generator = SystemRandomNumberGenerator()
        let bits: UInt64 = generator.next()
        return String(bits & 0xFFFF_FFFF_FFFF, radix: 16) + "_"
    }()
}

extension RequestTrace {
    /// Runs a route body; a `GatewayError` it throws finishes the trace with that error's status before it goes
    /// to the client. (Responses that stream finish the trace themselves when the body ends.)
    func run(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as GatewayError {
            finish(status: Int(error.status.code), error: error.message)
            throw error
        }
    }
}
