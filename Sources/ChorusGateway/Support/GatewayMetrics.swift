import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics for `/metrics`. Each application owns its registry (no global bootstrap), so tests can
/// build many applications in one process.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
        .milliseconds(250), .seconds(1), .seconds(2.5), .seconds(10), .seconds(30), .seconds(120),
    ]

    public init() {}

    /// A route's request counter (by status) and latency histogram, kept once made: asking the registry for them
    /// validates the metric and label names and looks the series up under its lock on every call, which was a
    /// large part of what finishing a proxied request cost (bench/PROFILE.md). Routes are route patterns and
    /// statuses HTTP codes, so the cache is as bounded as the series themselves.
    private struct RequestSeries: Hashable {
        var route: String
        var status: Int
    }

    private let requestSeries = NIOLockedValueBox<[RequestSeries: (Counter, DurationHistogram)]>([:])

    public func requestFinished(route: String, status: Int, duration: Duration) {
        let key = RequestSeries(route: route, status: status)
        let (counter, histogram) = requestSeries.withLockedValue { cache in
            if let series = cache[key] { return series }
            let series = (
                registry.makeCounter(name: "chorus_requests_total", labels: [("route", route), ("status", String(status))]),
                registry.makeDurationHistogram(name: "chorus_request_duration_seconds", labels: [("route", route)],
                                               buckets: Self.latencyBuckets)
            )
            cache[key] = series
            return series
        }
        counter.increment()
        histogram.record(duration)
    }

    public func upstreamError(provider: String, kind: String) {
        registry.makeCounter(name: "chorus_upstream_errors_total", labels: [("provider", provider), ("kind", kind)]).increment()
    }

    /// Usage rows dropped because the batch could not be written and the pending queue was full, or because the
    /// database refused the row itself.
    public func usageRowsDropped(_ count: Int) {
        registry.makeCounter(name: "chorus_usage_rows_dropped_total").increment(by: Int64(count))
    }

    /// A usage-log flush that could not write its batch (database locked, disk full, I/O error).
    public func usageWriteFailed() {
        registry.makeCounter(name: "chorus_usage_write_failures_total").increment()
    }

    public func usageRowsPending(_ count: Int) {
        registry.makeGauge(name: "chorus_usage_rows_pending").set(Int64(count))
    }

    /// 0 closed, 1 open, 2 half-open: set from the circuits each time `/metrics` is read.
    func providerCircuit(provider: String, state: Int) {
        registry.makeGauge(name: "chorus_provider_circuit_state", labels: [("provider", provider)]).set(Int64(state))
    }

    func providerCircuitOpened(provider: String) {
        registry.makeCounter(name: "chorus_provider_circuit_opened_total", labels: [("provider", provider)]).increment()
    }

    func fallback(from model: String, to fallback: String) {
        registry.makeCounter(name: "chorus_fallbacks_total", labels: [("model", model), ("fallback", fallback)]).increment()
    }

    func upstreamRetry(provider: String) {
        registry.makeCounter(name: "chorus_upstream_retries_total", labels: [("provider", provider)]).increment()
    }

    /// Client connections open now (admitted under `server.max_connections`).
    public func connectionsOpen(_ count: Int) {
        registry.makeGauge(name: "chorus_connections_open").set(Int64(count))
    }

    /// A connection over `server.max_connections`, answered 503 and closed.
    public func connectionRefused() {
        registry.makeCounter(name: "chorus_connections_refused_total").increment()
    }

    /// A connection closed by a server-side timeout: `idle`, `header` or `body`.
    public func connectionTimedOut(kind: String) {
        registry.makeCounter(name: "chorus_connection_timeouts_total", labels: [("kind", kind)]).increment()
    }

    /// Requests still running when the shutdown grace ran out, cancelled.
    public func requestsCancelledAtShutdown(_ count: Int) {
        registry.makeCounter(name: "chorus_requests_cancelled_at_shutdown_total").increment(by: Int64(count))
    }

    public func text() -> [UInt8] { registry.emitToBuffer() }
}
