import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// `GET /health` and `GET /metrics` (Prometheus text format). Neither needs a key: they say nothing secret
/// and monitoring should not hold one. `/health` answers 200 while the process serves; `status` is `degraded`
/// while some provider's circuit is not closed. `/metrics` can be put behind its own key
/// (`server.metrics_key`) where its numbers (routes, statuses, models in use) should not be public.
struct OperationalRoutes: Sendable {
    let services: GatewayServices
    let metricsKey: String?

    func register(on router: Router<GatewayRequestContext>) {
        router.get("health") { _, _ in
            Response.json(health())
        }
        let metrics = services.metrics
        let failover = services.failover
        let handler: @Sendable (Request, GatewayRequestContext) async throws -> Response = { _, _ in
            for (provider, circuit) in failover.circuits() {
                metrics.providerCircuit(provider: provider, state: circuit.state.gaugeValue)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        if let metricsKey {
            router.group("metrics").add(middleware: MetricsKeyMiddleware(key: metricsKey)).get(use: handler)
        } else {
            router.get("metrics", use: handler)
        }
    }

    /// The gateway's status and each provider's circuit: `closed`, `open` or `half-open`, since when, the last
    /// error that counted against it.
    func health() -> JSONValue {
        var providers: [(String, JSONValue)] = []
        var degraded = false
        for (provider, circuit) in services.failover.circuits() {
            degraded = degraded || circuit.state != .closed
            var entry: [(String, JSONValue)] = [
                ("state", .string(circuit.state.rawValue)),
                ("since", .string(circuit.since.formatted(.iso8601))),
                ("consecutive_failures", .number(circuit.consecutiveFailures)),
            ]
            if let lastError = circuit.lastError { entry.append(("last_error", .string(lastError))) }
            providers.append((provider, .object(entry)))
        }
        return [
            "status": .string(degraded ? "degraded" : "ok"),
            "models": .number(services.catalog.all.count),
            "providers": .object(providers),
        ]
    }
}

extension CircuitBreaker.State {
    var gaugeValue: Int {
        switch self {
        case .closed: 0
        case .open: 1
        case .halfOpen: 2
        }
    }
}
