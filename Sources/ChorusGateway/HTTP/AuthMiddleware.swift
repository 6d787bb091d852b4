import HTTPTypes
import Hummingbird

/// Puts the caller on the context: `Authorization: Bearer …` or `x-api-key`, checked against the hashed keys
/// (or the master key). The key itself goes no further than this.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let caller = try await authenticator.authenticate(request.headers)
        context.trace?.update {
            $0.keyID = caller.keyID
            $0.unauthenticated = false
        }
        context.caller = caller
        return try await next(request, context)
    }
}

/// The limits a request meets before its handler runs: the gateway's `server.global_rpm` (every caller, `/admin`
/// excepted), then the key's requests per minute (its own `rpm`, else `server.default_rpm`; answered with
/// `x-ratelimit-*` headers, errors included) and its `max_concurrency` (held until the request's row is settled,
/// the last byte of a stream). The master key has no per-key limits. Points are admitted later, once the model is
/// known (`Ledger`).
///
/// With `server.replicas` > 1 each limit counted here is this replica's share of it (`ReplicaShare`); the headers
/// still name the key's whole limit, with what remains here scaled to the whole.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let limiter: RateLimiter
    let defaultRPM: Int
    let concurrency: ConcurrencyLimiter
    /// nil on the admin group: an operator can always get in.
    let global: (limiter: RateLimiter, rpm: Int)?
    var share = ReplicaShare(replicas: 1)

    static let limitHeader = HTTPField.Name("x-ratelimit-limit-requests")!
    static let remainingHeader = HTTPField.Name("x-ratelimit-remaining-requests")!
    static let resetHeader = HTTPField.Name("x-ratelimit-reset-requests")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = try context.requireCaller()
        if let global, global.rpm > 0, let wait = global.limiter.take(keyID: -1, rpm: share.of(global.rpm)).retryAfter {
            throw GatewayError.gatewayRateLimited(retryAfter: wait)
        }
        guard !caller.isMaster, let keyID = caller.keyID else { return try await next(request, context) }
        if let rpm = caller.rpm ?? (defaultRPM > 0 ? defaultRPM : nil) {
            let outcome = share.whole(limiter.take(keyID: keyID, rpm: share.of(rpm)), limit: rpm)
            context.trace?.responseHeaders.append(contentsOf: Self.headers(outcome))
            if let wait = outcome.retryAfter { throw GatewayError.rateLimited(retryAfter: wait) }
        }
        if let limit = caller.maxConcurrency {
            guard concurrency.enter(keyID: keyID, limit: share.of(limit)) else { throw GatewayError.tooManyOpenRequests(limit: limit) }
            let concurrency = concurrency
            if let trace = context.trace {
                trace.whenFinished { concurrency.leave(keyID: keyID) }
            } else {
                defer { concurrency.leave(keyID: keyID) }
                return try await next(request, context)
            }
        }
        return try await next(request, context)
    }

    /// OpenAI's names; the reset as a duration like theirs ("1s", "6.5s").
    static func headers(_ outcome: RateLimiter.Outcome) -> HTTPFields {
        let reset = (outcome.resetSeconds * 10).rounded(.up) / 10
        let resetText = reset == reset.rounded() ? "\(Int(reset))s" : "\(reset)s"
        return [limitHeader: String(outcome.limit), remainingHeader: String(outcome.remaining), resetHeader: resetText]
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
