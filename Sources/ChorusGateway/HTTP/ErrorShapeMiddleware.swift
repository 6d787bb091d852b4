import ChorusWire
import Hummingbird
import NIOCore

/// Errors that do not come from Chorus's own code (unknown route, wrong method, a parse failure inside
/// Hummingbird) still reach the client in OpenAI's error shape, so SDKs print a readable message.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            throw error
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "Unknown route \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            let type = error.status.code >= 500 ? "api_error" : "invalid_request_error"
            let body: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": nil]]
            return Response(status: error.status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
        }
    }
}
