import ChorusWire
import Hummingbird
import NIOCore

/// `GET /health` and `GET /metrics` (Prometheus text format). Neither needs a key: they say nothing secret
/// and monitoring should not hold one.
struct OperationalRoutes: Sendable {
    let services: GatewayServices

    func register(on router: Router<GatewayRequestContext>) {
        router.get("health") { _, _ in
            Response.json(["status": "ok", "models": .number(services.catalog.all.count)])
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.text())))
        }
    }
}
