import HTTPTypes
import Hummingbird

/// `GET /v1/realtime?model=M` (and `/api/v1/realtime`): the upgrade request, run through the realtime router like any
/// request (its trace, the key, the limits) before the socket is upgraded. The route resolves the model, opens the
/// session's far side and leaves it for the endpoint; a refusal is an ordinary error answer, which the client gets
/// instead of the upgrade.
struct RealtimeRoutes {
    let services: GatewayServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("realtime") { request, context in try await open(request, context: context) }
    }

    /// Answers a plain `GET` on the path (no upgrade) on the main router.
    static func registerPlain(on group: RouterGroup<GatewayRequestContext>) {
        group.get("realtime") { _, _ -> Response in
            throw GatewayError.invalidRequest("/v1/realtime is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).")
        }
    }

    func open(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        let caller = try context.requireCaller()
        guard let box = RealtimeAdmissionBox.current else {
            throw GatewayError.invalidRequest("/v1/realtime is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).")
        }
        let parameters = try QueryParameters(request, allowed: ["model", "intent"])
        guard let name = parameters.string("model") else { throw GatewayError.missingParameter("model") }
        trace.update {
            $0.model = name
            $0.stream = true
        }
        // A model that exists but does not do realtime is a bad request (400), not an unimplemented route.
        if let known = services.catalog.resolve(name), caller.allows(model: name), !known.supports(.realtime) {
            throw GatewayError.invalidParameter("model", "The model '\(GatewayError.echo(name))' does not support realtime sessions.")
        }
        let model = try services.catalog.resolve(name, for: caller, capability: .realtime, trace: trace)
        trace.update {
            $0.model = model.name
            $0.provider = model.providerName
        }
        let opened = ContinuousClock.now
        let session = try await services.openRealtimeSession(for: model, caller: caller, requestID: trace.requestID)
        box.put(RealtimeAdmission(session: session, trace: trace, opened: opened))
        var headers = HTTPFields()
        // The browser form offers `realtime` with its key: the answer names the one subprotocol it speaks.
        if RealtimeSubprotocols.offered(request.headers).contains("realtime") { headers[.secWebSocketProtocol] = "realtime" }
        return Response(status: .ok, headers: headers)
    }
}
