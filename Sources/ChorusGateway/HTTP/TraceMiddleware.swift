import HTTPTypes
import Hummingbird
import Logging

/// First on every route: gives the request its id (answered as `x-request-id`), opens the usage row of a metered
/// route (`RequestTrace`, which logs the request's line when it finishes) and logs one line for the others.
struct TraceMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let usageLog: UsageLog
    let metrics: GatewayMetrics
    let logger: Logger
    let catalog: ModelCatalog

    static let requestIDHeader = HTTPField.Name("x-request-id")!

    /// The public catalog, answered to anyone from config alone.
    static let publicEndpoints: Set<String> = ["/api/models", "/api/models/{id_or_slug}", "/api/categories"]

    /// Operational routes, the public catalog and unknown paths get a log line but no usage row.
    static func isMetered(_ endpoint: String?) -> Bool {
        guard let endpoint else { return false }
        return endpoint != "NotFound" && endpoint != "/health" && endpoint != "/metrics" && !publicEndpoints.contains(endpoint)
            && endpoint != "/ui" && !endpoint.hasPrefix("/ui/")
    }

    /// The route as usage rows and metrics name it: the same for `/v1/x` and `/api/v1/x`, and `/lollms/x` for
    /// `/lollms/v1/x` (`/ollama/x` for `/ollama/v1/x`, `/playground/x` for `/api/playground/x`).
    static func usageRoute(_ endpoint: String) -> String {
        if endpoint.hasPrefix("/api/v1/") { return String(endpoint.dropFirst(7)) }
        if endpoint.hasPrefix("/v1/") { return String(endpoint.dropFirst(3)) }
        if endpoint.hasPrefix("/lollms/v1/") { return "/lollms" + endpoint.dropFirst(10) }
        if endpoint.hasPrefix("/ollama/v1/") { return "/ollama" + endpoint.dropFirst(10) }
        if endpoint.hasPrefix("/api/playground/") { return "/playground" + endpoint.dropFirst(15) }
        return endpoint
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let endpoint = context.endpointPath
        let requestID: String
        if Self.isMetered(endpoint), let endpoint {
            let catalog = catalog
            let trace = RequestTrace(route: Self.usageRoute(endpoint), method: request.method.rawValue,
                                     usageLog: usageLog, metrics: metrics, logger: logger,
                                     pricing: { catalog.resolve($0)?.config.price })
            // Until a key is accepted (AuthMiddleware), the row is nobody's.
            trace.update { $0.unauthenticated = true }
            context.trace = trace
            context.connection?.track(trace)
            requestID = trace.requestID
        } else {
            requestID = RequestTrace.makeRequestID()
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // ErrorMiddleware shapes every error; anything past it is answered here without detail.
            logger.error("unhandled error", metadata: ["chorus.request.id": .string(requestID), "chorus.error": .string("\(error)")])
            context.trace?.finish(status: 500, error: "\(error)")
            response = GatewayError.internalError("\(error)").response(requestID: requestID)
        }
        if response.headers[Self.requestIDHeader] == nil { response.headers[Self.requestIDHeader] = requestID }
        if let extra = context.trace?.responseHeaders, !extra.isEmpty {
            // Chorus's own headers (rate limits, a model's lifecycle) replace an upstream's of the same name: two
            // `Sunset` or `x-ratelimit-*` values would leave the client guessing which one is about its call.
            for name in Set(extra.map(\.name)) { response.headers[name] = nil }
            response.headers.append(contentsOf: extra)
        }
        if context.trace == nil {
            RequestTrace.log(logger, requestID: requestID, method: request.method.rawValue, route: endpoint ?? request.uri.path,
                             status: Int(response.status.code), duration: ContinuousClock.now - start)
        }
        return response
    }
}
