import NIOConcurrencyHelpers

/// A result handed over once to one waiter: the first `finish` wins and later ones are ignored, and the waiter is
/// resumed whether it started waiting before or after. For a caller that must be answered by whichever of two
/// tasks gets there first (a lease or its deadline; the first audio or the first error) without waiting for the
/// other, as a task group would.
final class OneShotResult<Success: Sendable>: Sendable {
    private let state = NIOLockedValueBox<(done: Result<Success, any Error>?, waiter: CheckedContinuation<Success, any Error>?)>((nil, nil))

    func finish(_ result: Result<Success, any Error>) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Success, any Error>? in
            guard state.done == nil else { return nil }
            state.done = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    /// Waits for the result (one waiter).
    func value() async throws -> Success {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Success, any Error>) in
            let done = state.withLockedValue { state -> Result<Success, any Error>? in
                if state.done == nil { state.waiter = continuation }
                return state.done
            }
            if let done { continuation.resume(with: done) }
        }
    }
}
