import ChorusUpstream
import Logging

/// Runs one call against a model — once the caller's points admit it (`Ledger`) — and, when its provider fails before anything reached the caller, against the
/// model's fallbacks in order: retries on the same provider where the failure did no work upstream, circuits that
/// skip a failing provider, and a usage row that names the model that answered and the ones tried before it.
struct Failover: Sendable {
    let catalog: ModelCatalog
    let metrics: GatewayMetrics
    let logger: Logger
    /// Admits the call against the caller's points before the first provider is asked.
    let ledger: Ledger
    /// One circuit per configured provider, by name.
    private let breakers: [String: CircuitBreaker]

    /// Longest `Retry-After` waited for on the same provider; a longer one moves on to the fallbacks.
    static let maxRetryAfter = 10.0
    static let maxBackoff = 5.0

    init(catalog: ModelCatalog, metrics: GatewayMetrics, logger: Logger, ledger: Ledger) {
        self.catalog = catalog
        self.ledger = ledger
        self.metrics = metrics
        self.logger = logger
        var breakers: [String: CircuitBreaker] = [:]
        for provider in catalog.providers where breakers[provider.name] == nil {
            breakers[provider.name] = CircuitBreaker(failures: provider.config.circuitBreakerFailures,
                                                     cooldown: .seconds(provider.config.circuitBreakerCooldown))
        }
        self.breakers = breakers
    }

    /// `attempt` asks one model's provider; it is called again for a retry or a fallback only while its earlier
    /// answer is an error answer (5xx, 429) or a transport failure, i.e. before the caller got anything.
    /// `admits` leaves out fallbacks that could not take this request (an image model's `image_caps`).
    func run<Answer: FailoverAnswer>(
        _ model: ResolvedModel, caller: Caller, capability: Capability, trace: RequestTrace,
        admits: (ResolvedModel) -> Bool = { _ in true },
        _ attempt: (ResolvedModel) async throws(GatewayError) -> Answer
    ) async throws(GatewayError) -> (answer: Answer, model: ResolvedModel) {
        try await ledger.admit(model, caller: caller, trace: trace)
        let candidates = [model] + catalog.fallbacks(of: model, caller: caller, capability: capability).filter(admits)
        var tried: [String] = []
        var lastError: GatewayError?
        defer {
            if !tried.isEmpty {
                let text = tried.joined(separator: "; ")
                // After what resolving noted (a remap of a shut-down model).
                trace.update { $0.tried = $0.tried.map { "\($0); \(text)" } ?? text }
            }
        }
        for (index, candidate) in candidates.enumerated() {
            let isLast = index == candidates.count - 1
            let breaker = breakers[candidate.providerName]
            var probe = false
            if let breaker {
                switch breaker.admit() {
                case .refused(let retryAfter):
                    tried.append("\(candidate.name) (\(candidate.providerName)): circuit open")
                    if lastError == nil || lastError?.code == .serviceUnavailable {
                        lastError = .providerUnavailable(provider: candidate.providerName, retryAfter: Self.seconds(retryAfter))
                    }
                    continue
                case .allowed(let isProbe):
                    probe = isProbe
                }
            }
            if index > 0 { metrics.fallback(from: model.name, to: candidate.name) }
            trace.update {
                $0.model = candidate.name
                $0.provider = candidate.providerName
            }
            var retry = 0
            while true {
                let failure: ProviderFailure
                do {
                    let answer = try await attempt(candidate)
                    guard let refusal = answer.upstreamRefusal, let refused = ProviderFailure(refusal: refusal) else {
                        succeeded(breaker, candidate)
                        return (answer, candidate)
                    }
                    // The provider's own error answer: the caller gets it when nothing else is left to try.
                    let canRetry = refused.retryable && retry < candidate.provider.config.retries
                        && (refused.retryAfter ?? 0) <= Self.maxRetryAfter
                    if !canRetry, isLast {
                        failed(breaker, candidate, refused, probe: probe)
                        return (answer, candidate)
                    }
                    refusal.body.cancel()
                    failure = refused
                    lastError = .upstreamFailed(provider: candidate.providerName, refused.reason)
                } catch {
                    guard !Task.isCancelled, let transport = ProviderFailure(error: error) else {
                        breaker?.release(probe: probe)
                        throw error
                    }
                    failure = transport
                    lastError = error
                }
                if failure.retryable, retry < candidate.provider.config.retries, (failure.retryAfter ?? 0) <= Self.maxRetryAfter {
                    retry += 1
                    metrics.upstreamRetry(provider: candidate.providerName)
                    do {
                        try await Task.sleep(for: backoff(retry, base: candidate.provider.config.retryBackoff, retryAfter: failure.retryAfter))
                    } catch {
                        breaker?.release(probe: probe)
                        throw .clientClosed("the client left while Chorus waited to retry")
                    }
                    continue
                }
                failed(breaker, candidate, failure, probe: probe)
                tried.append("\(candidate.name) (\(candidate.providerName)): \(failure.reason)")
                break
            }
        }
        // Only fallbacks skipped or failed: the last real failure, or 503 when every circuit was open.
        throw lastError ?? .internalError("no model to try for '\(model.name)'")
    }

    /// Each provider's circuit, for `/health`.
    func circuits() -> [(provider: String, circuit: CircuitBreaker.Snapshot)] {
        catalog.providers.compactMap { provider in breakers[provider.name].map { (provider.name, $0.snapshot) } }
    }

    private func succeeded(_ breaker: CircuitBreaker?, _ model: ResolvedModel) {
        if breaker?.recordSuccess() == true {
            logger.notice("provider circuit closed", metadata: ["chorus.provider": .string(model.providerName)])
        }
    }

    private func failed(_ breaker: CircuitBreaker?, _ model: ResolvedModel, _ failure: ProviderFailure, probe: Bool) {
        guard let breaker else { return }
        // A busy provider (429) is not a failing one: it neither opens the circuit nor decides a probe.
        guard failure.countsAgainstProvider else { return breaker.release(probe: probe) }
        if breaker.recordFailure(failure.reason) {
            metrics.providerCircuitOpened(provider: model.providerName)
            logger.warning("provider circuit opened", metadata: [
                "chorus.provider": .string(model.providerName), "chorus.reason": .string(failure.reason),
            ])
        }
    }

    /// Doubling from `base`, with jitter (half to all of it), at most `maxBackoff`; never shorter than the
    /// provider's `Retry-After`.
    private func backoff(_ retry: Int, base: Double, retryAfter: Double?) -> Duration {
        let doubled = min(Self.maxBackoff, base * Double(1 << min(retry - 1, 10)))
        let jittered = doubled * Double.random(in: 0.5...1)
        return .milliseconds(Int(max(jittered, retryAfter ?? 0) * 1000))
    }

    private static func seconds(_ duration: Duration) -> Int {
        max(1, Int((Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18).rounded(.up)))
    }
}
