/// One `transcribe` call: the samples, the partial-result callback, a cancellation flag, and the
/// continuation resumed exactly once (by the worker, by a pool shutdown, or by a refused submit).
final class TranscriptionJob: Sendable {
    let samples: [Int16]
    let onPartial: (@Sendable (String) -> Void)?
    private let state = Locked<(cancelled: Bool, continuation: CheckedContinuation<Transcript, any Error>?)>((false, nil))

    init(samples: [Int16], onPartial: (@Sendable (String) -> Void)?) {
        self.samples = samples
        self.onPartial = onPartial
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() { state.withLock { $0.cancelled = true } }

    func attach(_ continuation: CheckedContinuation<Transcript, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func resume(with result: Result<Transcript, any Error>) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}
