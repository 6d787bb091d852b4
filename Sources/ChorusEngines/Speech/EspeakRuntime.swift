/// The one espeak worker thread of the process, shared by every ``EspeakEngine``.
///
/// espeak-ng keeps all its state in globals and is not thread-safe, so however many engines exist, exactly
/// one thread ever calls it. The thread starts with the first engine and stops (after `espeak_ng_Terminate`)
/// when the last engine shuts down; a new engine after that waits for the old thread to finish first.
final class EspeakRuntime: Sendable {
    static let shared = EspeakRuntime()

    private struct State {
        var pool: WorkerPool<EspeakSession>?
        var users = 0
        var dataPath: String?
        var retiring: WorkerPool<EspeakSession>?
    }

    private let state = Locked(State())

    /// Registers one more user and returns the worker, starting it (and espeak-ng) if needed.
    /// A `dataPath` different from the running one is an error: espeak-ng has one data path per process.
    func acquire(dataPath: String?) throws -> WorkerPool<EspeakSession> {
        try state.withLock { state in
            if let pool = state.pool {
                if let dataPath, dataPath != state.dataPath {
                    throw EngineError.initializationFailed(
                        "espeak-ng already runs with data path \(state.dataPath ?? "(default)"); one path per process")
                }
                state.users += 1
                return pool
            }
            // The previous thread may still be calling espeak_ng_Terminate: never let two threads overlap.
            state.retiring?.join()
            state.retiring = nil
            let pool = try WorkerPool<EspeakSession>(name: "chorus.espeak", count: 1) { _ in
                try EspeakSession(dataPath: dataPath)
            }
            state.pool = pool
            state.users = 1
            state.dataPath = dataPath
            return pool
        }
    }

    /// Unregisters a user; the last one stops the thread (without waiting for it).
    func release() {
        let stopping: WorkerPool<EspeakSession>? = state.withLock { state in
            state.users -= 1
            guard state.users <= 0, let pool = state.pool else { return nil }
            state.users = 0
            state.pool = nil
            state.retiring = pool
            return pool
        }
        stopping?.shutdown()
    }
}
