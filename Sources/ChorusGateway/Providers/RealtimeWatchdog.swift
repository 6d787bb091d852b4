import NIOConcurrencyHelpers

/// A realtime reader's idle timer: fires when no event arrived for `seconds`; every event pushes the deadline back.
final class RealtimeWatchdog: Sendable {
    private let seconds: Double
    private let last = NIOLockedValueBox(ContinuousClock.now)
    private let fired = NIOLockedValueBox(false)

    init(seconds: Double) { self.seconds = seconds }

    func touch() { last.withLockedValue { $0 = .now } }
    var hasExpired: Bool { fired.withLockedValue { $0 } }

    /// Returns true when the deadline passed, false when cancelled first.
    func expired() async -> Bool {
        guard seconds > 0 else { return false }
        while !Task.isCancelled {
            let deadline = last.withLockedValue { $0 } + .seconds(seconds)
            if ContinuousClock.now >= deadline {
                fired.withLockedValue { $0 = true }
                return true
            }
            try? await Task.sleep(until: deadline)
        }
        return false
    }
}
