import Foundation
import HTTPTypes
import Hummingbird

/// Browsers cannot set headers on a WebSocket: OpenAI's browser form carries the key as a subprotocol,
/// `Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.<key>`. Placed before `AuthMiddleware`, this turns
/// that into the `Authorization` header it reads, when the request has no key header of its own.
struct RealtimeKeyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let keyPrefix = "openai-insecure-api-key."
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] == nil, request.headers[Self.apiKeyHeader] == nil,
              let key = Self.protocols(request.headers).first(where: { $0.hasPrefix(Self.keyPrefix) })?.dropFirst(Self.keyPrefix.count),
              !key.isEmpty else {
            return try await next(request, context)
        }
        var request = request
        request.headers[.authorization] = "Bearer \(key)"
        return try await next(request, context)
    }

    /// The offered subprotocols, in order.
    static func protocols(_ headers: HTTPFields) -> [String] {
        headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
