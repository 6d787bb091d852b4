import NIOConcurrencyHelpers

/// One call on a decoder (a transcription or an alignment): the samples, the partial-result callback, a
/// cancellation flag, and the continuation, resumed exactly once: by the worker, by a pool shutdown, by a refused
/// submit, or at once by cancellation (so a cancelled caller never waits for its turn on a busy decoder).
final class TranscriptionJob<Output: Sendable>: Sendable {
    let samples: [Int16]
    let onPartial: (@Sendable (String) -> Void)?
    private let state = NIOLockedValueBox<(cancelled: Bool, continuation: CheckedContinuation<Output, any Error>?)>((false, nil))

    init(samples: [Int16], onPartial: (@Sendable (String) -> Void)? = nil) {
        self.samples = samples
        self.onPartial = onPartial
    }

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// Marks the job cancelled and fails the caller now; the worker skips or stops the job when it sees the flag.
    func cancel() {
        let continuation = state.withLockedValue { state in
            state.cancelled = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// Stores the continuation; if the job was already cancelled, fails it at once.
    func attach(_ continuation: CheckedContinuation<Output, any Error>) {
        let cancelled = state.withLockedValue { state in
            if !state.cancelled { state.continuation = continuation }
            return state.cancelled
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
    }

    func resume(with result: Result<Output, any Error>) {
        let continuation = state.withLockedValue { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}
