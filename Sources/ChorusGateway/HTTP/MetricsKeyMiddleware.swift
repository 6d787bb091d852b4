import Hummingbird

/// `/metrics` behind `server.metrics_key`: only `Authorization: Bearer <key>` passes; anything else is 401 in
/// OpenAI's error shape. The key is compared in constant time and never reaches a message or a log line.
struct MetricsKeyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    private let key: [UInt8]

    init(key: String) { self.key = Array(key.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else { throw GatewayError.metricsKeyRequired(presented: false) }
        let bytes = Array(authorization.utf8)
        let prefix = Array("Bearer ".utf8)
        guard bytes.count > prefix.count, bytes[..<prefix.count].elementsEqual(prefix),
              Authenticator.constantTimeEqual(Array(bytes[prefix.count...]), key)
        else { throw GatewayError.metricsKeyRequired(presented: true) }
        return try await next(request, context)
    }
}
