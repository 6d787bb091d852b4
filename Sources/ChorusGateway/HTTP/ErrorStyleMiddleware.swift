import Hummingbird

/// Gives the routes after it their platform's error shape (`ErrorStyle`). Added to a group before its auth, so a
/// missing key is answered in that shape too.
struct ErrorStyleMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let style: any ErrorStyle

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.trace?.errorStyle = style
        return try await next(request, context)
    }
}
