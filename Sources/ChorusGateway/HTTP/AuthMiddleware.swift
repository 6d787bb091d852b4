import Hummingbird

/// Puts the caller on the context: `Authorization: Bearer …` or `x-api-key`, checked against the hashed keys
/// (or the master key). The key itself goes no further than this.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let caller = try await authenticator.authenticate(request.headers)
        context.trace?.update { $0.keyID = caller.keyID }
        context.caller = caller
        return try await next(request, context)
    }
}

/// Per-key requests per minute (the key's own `rpm`, else `server.default_rpm`); the master key is not limited.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let limiter: RateLimiter
    let defaultRPM: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = try context.requireCaller()
        if !caller.isMaster, let rpm = caller.rpm ?? (defaultRPM > 0 ? defaultRPM : nil), let keyID = caller.keyID,
           let wait = limiter.acquire(keyID: keyID, rpm: rpm) {
            throw GatewayError.rateLimited(retryAfter: wait)
        }
        return try await next(request, context)
    }
}

/// Admin routes: the master key only; any other valid key is refused.
struct MasterKeyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try context.requireCaller().isMaster else { throw GatewayError.unauthorizedAdmin() }
        return try await next(request, context)
    }
}
