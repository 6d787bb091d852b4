import ChorusUpstream

/// Why one try at a provider failed, and what that allows: another try at the same provider, a fallback, a mark
/// against its circuit.
struct ProviderFailure: Sendable {
    /// For the usage row's `tried` and the circuit's last error.
    var reason: String
    /// Nothing was done upstream (connection refused, 429, 502, 503, 504): the same provider may be asked again.
    var retryable: Bool
    /// The provider is failing (not merely busy): counts towards opening its circuit.
    var countsAgainstProvider: Bool
    /// The provider's `Retry-After`, in seconds.
    var retryAfter: Double?

    /// A provider's error answer that another try might not get: 5xx and 429. Others (400, 401, 404, …) are about
    /// the request and go to the caller as they are.
    init?(refusal answer: UpstreamResponse) {
        let status = answer.status
        guard status == 429 || status >= 500 else { return nil }
        reason = "answered \(status)"
        retryable = [429, 502, 503, 504].contains(status)
        countsAgainstProvider = status >= 500
        retryAfter = answer.header("retry-after").flatMap { Double($0.filter { !$0.isWhitespace }) }
    }

    /// Transport failures before the first byte; other errors are the request's own (400s) or Chorus's.
    init?(error: GatewayError) {
        switch error.code {
        case .upstreamUnreachable:
            reason = "unreachable"
            retryable = true
        case .upstreamTimeout:
            reason = "timed out"
            retryable = false
        case .upstreamFailed:
            reason = "failed"
            retryable = false
        default:
            return nil
        }
        countsAgainstProvider = true
        retryAfter = nil
    }
}
