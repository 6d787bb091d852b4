import Hummingbird

/// The per-request context: what the middleware learnt (the request's trace, the authenticated caller) for the
/// handler to use. A handler starts at "parse the body".
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `TraceMiddleware` on every metered route.
    var trace: RequestTrace?
    /// Set by `AuthMiddleware`.
    var caller: Caller?
    /// The client connection the request came on (nil outside the gateway's server, e.g. router tests).
    let connection: ClientConnection?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = ClientConnection.current
    }

    /// Routes collect their bodies themselves with their own limits (JSON vs uploads) and answer 413 in
    /// OpenAI's shape; this only bounds Hummingbird's own decoder, which Chorus does not use for bodies.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    /// The trace of a metered route; a route registered outside `TraceMiddleware` is a wiring bug, answered 500.
    func requireTrace() throws(GatewayError) -> RequestTrace {
        guard let trace else { throw .internalError("route \(endpointPath ?? "?") has no request trace") }
        return trace
    }

    /// The caller of an authenticated route.
    func requireCaller() throws(GatewayError) -> Caller {
        guard let caller else { throw .internalError("route \(endpointPath ?? "?") is not behind AuthMiddleware") }
        return caller
    }
}
