import ChorusWire
import Hummingbird
import NIOCore

/// `GET /health` and `GET /metrics` (Prometheus text format). Neither needs an API key: they say nothing secret
/// and monitoring should not hold one. `/metrics` can be put behind its own key (`server.metrics_key`) where
/// its numbers (routes, statuses, models in use) should not be public.
struct OperationalRoutes: Sendable {
    let services: GatewayServices
    let metricsKey: String?

    func register(on router: Router<GatewayRequestContext>) {
        router.get("health") { _, _ in
            Response.json(["status": "ok", "models": .number(services.catalog.all.count)])
        }
        let metrics = services.metrics
        let handler: @Sendable (Request, GatewayRequestContext) async throws -> Response = { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.text())))
        }
        if let metricsKey {
            router.group("metrics").add(middleware: MetricsKeyMiddleware(key: metricsKey)).get(use: handler)
        } else {
            router.get("metrics", use: handler)
        }
    }
}
