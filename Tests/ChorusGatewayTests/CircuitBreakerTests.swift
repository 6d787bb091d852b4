@testable import ChorusGateway
import Testing

/// The circuit's decisions, driven by an explicit clock.
@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now

    @Test func opensAfterTheConfiguredConsecutiveFailuresAndRefusesUntilTheCooldownEnds() {
        let breaker = CircuitBreaker(failures: 3, cooldown: .seconds(10))
        #expect(!breaker.recordFailure("a", now: start))
        #expect(!breaker.recordFailure("b", now: start))
        #expect(breaker.admit(now: start) == .allowed(probe: false))
        #expect(breaker.recordFailure("c", now: start))
        #expect(breaker.snapshot.state == .open)
        #expect(breaker.snapshot.lastError == "c")
        #expect(breaker.admit(now: start + .seconds(4)) == .refused(retryAfter: .seconds(6)))
    }

    @Test func successResetsTheCountOfConsecutiveFailures() {
        let breaker = CircuitBreaker(failures: 2, cooldown: .seconds(10))
        breaker.recordFailure("a", now: start)
        breaker.recordSuccess()
        #expect(!breaker.recordFailure("b", now: start))
        #expect(breaker.snapshot.state == .closed)
    }

    @Test func afterTheCooldownExactlyOneProbeIsLetThrough() {
        let breaker = CircuitBreaker(failures: 1, cooldown: .seconds(10))
        breaker.recordFailure("down", now: start)
        let later = start + .seconds(11)
        #expect(breaker.admit(now: later) == .allowed(probe: true))
        #expect(breaker.snapshot.state == .halfOpen)
        #expect(breaker.admit(now: later) == .refused(retryAfter: .seconds(1)))
        #expect(breaker.recordSuccess())
        #expect(breaker.snapshot.state == .closed)
        #expect(breaker.admit(now: later) == .allowed(probe: false))
    }

    @Test func failedProbeOpensTheCircuitForAnotherCooldown() {
        let breaker = CircuitBreaker(failures: 5, cooldown: .seconds(10))
        for _ in 0..<5 { breaker.recordFailure("down", now: start) }
        let later = start + .seconds(10)
        #expect(breaker.admit(now: later) == .allowed(probe: true))
        #expect(breaker.recordFailure("still down", now: later))
        #expect(breaker.snapshot.state == .open)
        #expect(breaker.admit(now: later + .seconds(9)) == .refused(retryAfter: .seconds(1)))
    }

    @Test func probeReleasedWithoutAVerdictLetsTheNextCallProbe() {
        let breaker = CircuitBreaker(failures: 1, cooldown: .seconds(1))
        breaker.recordFailure("down", now: start)
        let later = start + .seconds(2)
        #expect(breaker.admit(now: later) == .allowed(probe: true))
        breaker.release(probe: true)
        #expect(breaker.admit(now: later) == .allowed(probe: true))
    }

    @Test func zeroFailuresMeansTheCircuitNeverOpens() {
        let breaker = CircuitBreaker(failures: 0, cooldown: .seconds(1))
        for _ in 0..<100 { #expect(!breaker.recordFailure("down", now: start)) }
        #expect(breaker.admit(now: start) == .allowed(probe: false))
    }
}
