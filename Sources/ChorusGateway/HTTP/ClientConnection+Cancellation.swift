import NIOConcurrencyHelpers

extension ClientConnection {
    /// Runs `operation` in a child task that is cancelled if the client leaves before it ends. `onLeave` runs
    /// first, on the event loop (keep it to flipping a flag), and says whether to cancel (false: the answer was
    /// already complete, or the operation notices by itself). After a hang-up this waits for the operation to
    /// unwind — the work it started has stopped when this returns — then throws `clientClosed`; otherwise it returns
    /// (or throws) what the operation did.
    func cancellingIfClientLeaves<T: Sendable>(
        onLeave: @escaping @Sendable () -> Bool,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        if isClosed {
            if onLeave() { throw GatewayError.clientClosed("The client closed the connection before the request ran.") }
            return try await operation()
        }
        let left = ClientLeftSignal()
        return try await whileConnected(onClose: { if onLeave() { left.fire(clientLeft: true) } }) {
            try await Self.run(operation, until: left)
        }
    }

    private static func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T, until left: ClientLeftSignal) async throws -> T {
        try await withThrowingTaskGroup(of: WatchedOutcome<T>.self) { group in
            group.addTask {
                do { return .finished(.success(try await operation())) } catch { return .finished(.failure(error)) }
            }
            group.addTask { await left.wait() ? .clientLeft : .stoppedWatching }
            while let outcome = try await group.next() {
                switch outcome {
                case .finished(let result):
                    group.cancelAll()
                    return try result.get()
                case .clientLeft:
                    group.cancelAll()
                    while try await group.next() != nil {}
                    throw GatewayError.clientClosed("The client closed the connection before the answer was complete.")
                case .stoppedWatching:
                    continue
                }
            }
            // Unreachable: the operation's child always reports.
            throw GatewayError.clientClosed("The request was cancelled.")
        }
    }
}

private enum WatchedOutcome<T: Sendable>: Sendable {
    case finished(Result<T, any Error>)
    case clientLeft
    /// The watching child was cancelled (the operation ended, or the request's own task was cancelled).
    case stoppedWatching
}

/// A one-shot wake-up for the watching child: fired by the hang-up, or by the child's own cancellation.
private final class ClientLeftSignal: Sendable {
    private struct State {
        var outcome: Bool?
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = NIOLockedValueBox(State())

    func fire(clientLeft: Bool) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = clientLeft
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: clientLeft)
    }

    /// True when the client left, false when the waiting task was cancelled first.
    func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let outcome = state.withLockedValue { state -> Bool? in
                    if state.outcome == nil { state.waiter = continuation }
                    return state.outcome
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            fire(clientLeft: false)
        }
    }
}
