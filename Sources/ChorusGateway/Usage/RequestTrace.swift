import Atomics
import Foundation
import HTTPTypes
import Logging
import NIOConcurrencyHelpers

/// Follows one request from arrival to its usage row and its log line. Exactly one row and one line are written:
/// by `finish`, or — when the response is dropped without finishing (the client went away before the body ran) —
/// by `deinit`.
final class RequestTrace: Sendable {
    private struct State {
        var record: UsageRecord
        var firstByte: ContinuousClock.Instant?
        var finished = false
        var clientLeft = false
        var answerComplete = false
        var requestRead = false
        /// Run once the row is settled (a concurrency slot given back).
        var onFinish: [@Sendable () -> Void] = []
        /// Added to whatever answer the request gets, an error included (the `x-ratelimit-*` headers).
        var responseHeaders = HTTPFields()
        /// A call that costs nothing whatever its model's price (tokenizing).
        var unpriced = false
        /// How the request's errors are written: OpenAI's shape unless its route family set its own.
        var errorStyle: any ErrorStyle = OpenAIErrorStyle()
        /// The request came through `/api/playground`: its event streams end with `chorus.*` events.
        var syntheticEvents = false
    }

    let start = ContinuousClock.now
    let requestID: String
    private let state: NIOLockedValueBox<State>
    private let method: String
    private let usageLog: UsageLog
    private let metrics: GatewayMetrics
    private let logger: Logger
    /// A model's price by name: the row's `cost` is the price of the model that answered.
    private let pricing: @Sendable (String) -> ModelPrice?

    /// `requestID`: a call made on behalf of another request (a long-context map call) writes its own row under
    /// that request's id; nil makes a new one.
    init(route: String, method: String, usageLog: UsageLog, metrics: GatewayMetrics, logger: Logger,
         pricing: @escaping @Sendable (String) -> ModelPrice? = { _ in nil }, requestID: String? = nil) {
        self.pricing = pricing
        let requestID = requestID ?? Self.makeRequestID()
        self.requestID = requestID
        self.method = method
        self.state = NIOLockedValueBox(State(record: UsageRecord(requestID: requestID, route: route)))
        self.usageLog = usageLog
        self.metrics = metrics
        self.logger = logger
    }

    func update(_ change: (inout UsageRecord) -> Void) {
        state.withLockedValue { change(&$0.record) }
    }

    /// The call is free: its row names the model but no cost (a model's price is for what it generates).
    func markUnpriced() {
        state.withLockedValue { $0.unpriced = true }
    }

    func markFirstByte() {
        state.withLockedValue { state in
            if state.firstByte == nil { state.firstByte = .now }
        }
    }

    /// The client went away (the hang-up middleware says so). When its answer was not complete yet, whatever status the request
    /// ends with as its work unwinds, the row says 499 (nginx's "client closed request"): nobody got the answer.
    /// Returns whether the work should be cancelled now: only once the request has been read (before that, the body
    /// reader fails on its own when the body stops, counting the bytes that came, or ``requestRead()`` throws).
    /// Cheap: it runs on the connection's event loop.
    func clientLeft() -> Bool {
        state.withLockedValue { state in
            guard !state.finished, !state.answerComplete else { return false }
            state.clientLeft = true
            if state.record.error == nil { state.record.error = "client closed the connection before the answer was complete" }
            return state.requestRead
        }
    }

    /// The whole request body has been read. Throws when the client has left meanwhile (it sent everything and went):
    /// there is nobody to do the work for.
    func requestRead() throws(GatewayError) {
        let left = state.withLockedValue { state in
            state.requestRead = true
            return state.clientLeft
        }
        if left { throw .clientClosed("The client closed the connection right after sending its request.") }
    }

    /// The whole answer has been handed to the server: a client that closes from now on (as one-shot clients do the
    /// moment they have read it) did not leave early.
    func answerComplete() {
        state.withLockedValue { $0.answerComplete = true }
    }

    /// A chat call made inside another request (long-context calls, the cascade's turns) got its whole answer: its
    /// tokens go on the row and the answer counts as delivered.
    func chatAnswered(promptTokens: Int, completionTokens: Int) {
        update {
            $0.promptTokens = promptTokens
            $0.completionTokens = completionTokens
            $0.totalTokens = promptTokens + completionTokens
        }
        answerComplete()
    }

    /// Runs `action` when the row is settled (at once if it already is).
    func whenFinished(_ action: @escaping @Sendable () -> Void) {
        let finished = state.withLockedValue { state in
            if !state.finished { state.onFinish.append(action) }
            return state.finished
        }
        if finished { action() }
    }

    var responseHeaders: HTTPFields {
        get { state.withLockedValue { $0.responseHeaders } }
        set { state.withLockedValue { $0.responseHeaders = newValue } }
    }

    /// Set by `ErrorStyleMiddleware` on the way in, read by `ErrorMiddleware` on the way out (an outer middleware
    /// does not see the context the inner ones changed; it sees this shared trace).
    var errorStyle: any ErrorStyle {
        get { state.withLockedValue { $0.errorStyle } }
        set { state.withLockedValue { $0.errorStyle = newValue } }
    }

    var syntheticEvents: Bool {
        get { state.withLockedValue { $0.syntheticEvents } }
        set { state.withLockedValue { $0.syntheticEvents = newValue } }
    }

    /// What the row says so far: the counts, the time to first byte, the time taken until now (the latency once
    /// settled) and the cost `finish` would charge for it if the call ends well.
    struct Snapshot: Sendable {
        var record: UsageRecord
        var ttfbMs: Double?
        var elapsedMs: Double
        var cost: Double?
    }

    func snapshot() -> Snapshot {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            let record = state.record
            let ttfb = state.firstByte.map { Self.milliseconds($0 - start) }
            guard !state.finished else { return Snapshot(record: record, ttfbMs: record.ttfbMs ?? ttfb, elapsedMs: record.latencyMs, cost: record.cost) }
            var cost: Double?
            if !state.unpriced, let model = record.model, let price = pricing(model) { cost = price.cost(of: record) }
            return Snapshot(record: record, ttfbMs: ttfb, elapsedMs: Self.milliseconds(now - start), cost: cost)
        }
    }

    /// Whether the row is settled (an answer built whole settles it before it is returned).
    var isFinished: Bool { state.withLockedValue { $0.finished } }

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
        let settled: (record: UsageRecord, onFinish: [@Sendable () -> Void])? = state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.finished = true
            state.record.status = state.clientLeft ? 499 : status
            if let error, state.record.error == nil { state.record.error = error }
            state.record.latencyMs = Self.milliseconds(now - start)
            if let firstByte = state.firstByte { state.record.ttfbMs = Self.milliseconds(firstByte - start) }
            if !state.unpriced, let model = state.record.model, let price = pricing(model) {
                state.record.cost = Self.charged(state.record) ? price.cost(of: state.record) : 0
            }
            state.record.bound()
            defer { state.onFinish = [] }
            return (state.record, state.onFinish)
        }
        guard let (record, onFinish) = settled else { return }
        usageLog.record(record)
        for action in onFinish { action() }
        metrics.requestFinished(route: record.route, status: record.status, duration: now - start)
        Self.log(logger, requestID: requestID, method: method, route: record.route, status: record.status, duration: now - start,
                 model: record.model, provider: record.provider, keyID: record.keyID)
    }

    /// A call is paid for when it answered, and when its client left after part of the answer went out (an
    /// abandoned stream pays for what the row counts as delivered); a call that failed pays nothing.
    static func charged(_ record: UsageRecord) -> Bool {
        (200..<300).contains(record.status) || (record.status == 499 && record.bytesOut > 0)
    }

    /// The request's one log line. It names the key by id: the key itself never reaches a log.
    static func log(_ logger: Logger, requestID: String, method: String, route: String, status: Int, duration: Duration,
                    model: String? = nil, provider: String? = nil, keyID: Int64? = nil) {
        guard logger.logLevel <= .info else { return }
        // Sized for every field at once: growing past a literal's capacity rehashed the dictionary on each line.
        var metadata = Logger.Metadata(minimumCapacity: 8)
        metadata["chorus.request.id"] = .string(requestID)
        metadata["chorus.method"] = .string(method)
        metadata["chorus.route"] = .string(route)
        metadata["chorus.status"] = .stringConvertible(status)
        metadata["chorus.duration_ms"] = .string(tenths(milliseconds(duration)))
        if let model { metadata["chorus.model"] = .string(model) }
        if let provider { metadata["chorus.provider"] = .string(provider) }
        if let keyID { metadata["chorus.key_id"] = .stringConvertible(keyID) }
        logger.info("request", metadata: metadata)
    }

    deinit {
        finish(status: 499, error: "client closed the connection before the response was sent")
    }

    /// `%.1f` without Foundation's `String(format:)`, which cost more than the rest of the log line.
    static func tenths(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        let scaled = Int64((abs(value) * 10).rounded())
        return (value < 0 && scaled > 0 ? "-" : "") + "\(scaled / 10).\(scaled % 10)"
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
