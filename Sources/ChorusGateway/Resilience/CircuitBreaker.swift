import Foundation
import NIOConcurrencyHelpers

/// One provider's circuit: closed while it works; open after `failures` consecutive failures, when calls skip it
/// for `cooldown`; then half-open, when exactly one call (the probe) may try it. The probe's success closes the
/// circuit, its failure opens it for another cool-down.
final class CircuitBreaker: Sendable {
    enum State: String, Sendable {
        case closed, open
        case halfOpen = "half-open"
    }

    /// What a call may do now.
    enum Admission: Sendable, Equatable {
        /// Call the provider. `probe`: this call decides whether a half-open circuit closes.
        case allowed(probe: Bool)
        /// Skip the provider; it may be tried again after this long.
        case refused(retryAfter: Duration)
    }

    /// What `/health` and the metrics show.
    struct Snapshot: Sendable {
        var state: State
        var since: Date
        var consecutiveFailures: Int
        var lastError: String?
    }

    private struct Condition {
        var state = State.closed
        var since = Date()
        var consecutiveFailures = 0
        var lastError: String?
        /// When an open circuit becomes half-open.
        var reopensAt: ContinuousClock.Instant?
        var probing = false
    }

    let failures: Int
    let cooldown: Duration
    private let condition = NIOLockedValueBox(Condition())

    /// `failures` 0: never opens.
    init(failures: Int, cooldown: Duration) {
        self.failures = failures
        self.cooldown = cooldown
    }

    func admit(now: ContinuousClock.Instant = .now) -> Admission {
        condition.withLockedValue { status in
            switch status.state {
            case .closed:
                return .allowed(probe: false)
            case .open:
                if let reopensAt = status.reopensAt, now < reopensAt { return .refused(retryAfter: reopensAt - now) }
                status.state = .halfOpen
                status.since = Date()
                status.probing = true
                return .allowed(probe: true)
            case .halfOpen:
                // One probe at a time; the others wait for its verdict as if the circuit were still open.
                if status.probing { return .refused(retryAfter: .seconds(1)) }
                status.probing = true
                return .allowed(probe: true)
            }
        }
    }

    /// Returns true when this success closed an open or half-open circuit.
    @discardableResult
    func recordSuccess() -> Bool {
        condition.withLockedValue { status in
            status.consecutiveFailures = 0
            status.probing = false
            guard status.state != .closed else { return false }
            status.state = .closed
            status.since = Date()
            status.reopensAt = nil
            return true
        }
    }

    /// Returns true when this failure opened the circuit.
    @discardableResult
    func recordFailure(_ reason: String, now: ContinuousClock.Instant = .now) -> Bool {
        condition.withLockedValue { status in
            status.consecutiveFailures += 1
            status.lastError = String(reason.prefix(300))
            let wasProbe = status.state == .halfOpen
            status.probing = false
            guard failures > 0, wasProbe || (status.state == .closed && status.consecutiveFailures >= failures) else { return false }
            status.state = .open
            status.since = Date()
            status.reopensAt = now + cooldown
            return true
        }
    }

    /// A probe that ended without a verdict (its caller left, or the request was the caller's fault): the next call
    /// may probe instead.
    func release(probe: Bool) {
        guard probe else { return }
        condition.withLockedValue { $0.probing = false }
    }

    var snapshot: Snapshot {
        condition.withLockedValue { Snapshot(state: $0.state, since: $0.since, consecutiveFailures: $0.consecutiveFailures, lastError: $0.lastError) }
    }
}
