import Hummingbird
import Logging
import NIOCore

/// Every error a route throws reaches the client in OpenAI's error shape (SDKs print a readable message) and
/// finishes the usage row with its status. Errors from outside Chorus's code (unknown route, wrong method, a
/// parse failure inside Hummingbird) are shaped too. A 5xx says a generic message and the request id; the
/// detail goes to the log only.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let gatewayError: GatewayError
            switch error {
            case let error as GatewayError:
                gatewayError = error
            case is CancellationError:
                // Only a shutdown out of grace cancels a request's task (`GatewayHTTPChannel`).
                gatewayError = .shuttingDown()
            case let error as HTTPError:
                let message = error.body ?? (error.status == .notFound ? "Unknown route \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
                gatewayError = GatewayError(http: error.status, message: message)
            default:
                gatewayError = .internalError("\(error)")
            }
            let requestID = context.trace?.requestID ?? RequestTrace.makeRequestID()
            if let detail = gatewayError.detail {
                // A 4xx with a detail (a revoked or expired key) is the client's doing, not an alert.
                logger.log(level: gatewayError.status.code >= 500 ? .error : .notice, "request failed", metadata: [
                    "chorus.request.id": .string(requestID), "chorus.status": .stringConvertible(gatewayError.status.code),
                    "chorus.error": .string(detail),
                ])
            }
            context.trace?.finish(status: Int(gatewayError.status.code), error: gatewayError.description)
            return (context.trace?.errorStyle ?? OpenAIErrorStyle()).response(for: gatewayError, requestID: requestID)
        }
    }
}
