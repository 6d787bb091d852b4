import NIOConcurrencyHelpers

/// The one espeak worker thread of the process, shared by every ``EspeakEngine``.
///
/// espeak-ng keeps all its state in globals and is not thread-safe, so however many engines exist, exactly
/// one thread (`chorus.espeak`) ever calls it. The thread and espeak-ng start with the first engine and then
/// live as long as the process, parked on a condition variable when idle: espeak-ng 1.51's
/// `espeak_ng_Terminate` can deadlock against the library's own internal fifo thread (seen in this package's
/// tests: Terminate waiting on a condition the fifo thread never signals), so Chorus never calls it, and so
/// never restarts espeak either.
final class EspeakRuntime: Sendable {
    static let shared = EspeakRuntime()

    private let state = NIOLockedValueBox<(pool: WorkerPool<EspeakSession>?, dataPath: String?)>((nil, nil))

    /// The espeak worker, started (with `dataPath`) on first use. A different `dataPath` later is an error:
    /// espeak-ng has one data path per process.
    func worker(dataPath: String?) throws -> WorkerPool<EspeakSession> {
        try state.withLockedValue { state in
            if let pool = state.pool {
                if let dataPath, dataPath != state.dataPath {
                    throw EngineError.initializationFailed(
                        "espeak-ng already runs with data path \(state.dataPath ?? "(default)"); one path per process")
                }
                return pool
            }
            let pool = try WorkerPool<EspeakSession>(name: "chorus.espeak", count: 1) { _ in
                try EspeakSession(dataPath: dataPath)
            }
            state = (pool, dataPath)
            return pool
        }
    }
}
