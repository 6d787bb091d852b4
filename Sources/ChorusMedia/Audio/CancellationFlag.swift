import NIOConcurrencyHelpers

/// Asks a long media job (a whole-file decode, a duration scan, a whole-file encode) to stop early.
///
/// The job runs synchronously on some thread and polls the flag between chunks (every decoded packet, every
/// 8192 resampled samples, every 32768 encoded samples): once it is set the job throws ``AudioError`` with kind
/// ``AudioError/Kind/cancelled`` within one chunk, a few milliseconds of work. Anyone may set it from any thread,
/// typically the cancellation handler of the task awaiting the job:
/// ```swift
/// let flag = CancellationFlag()
/// try await withTaskCancellationHandler {
///     try await pool.runIfActive { try AudioDecoder.decode(bytes, sampleRate: 16000, cancellation: flag) }
/// } onCancel: { flag.cancel() }
/// ```
public final class CancellationFlag: Sendable {
    private let cancelled = NIOLockedValueBox(false)

    public init() {}

    /// Asks the job to stop. Idempotent.
    public func cancel() {
        cancelled.withLockedValue { $0 = true }
    }

    public var isCancelled: Bool { cancelled.withLockedValue { $0 } }

    /// Throws `cancelled` when the flag is set; `what` names the job in the message.
    func check(_ what: String) throws {
        if isCancelled { throw AudioError.cancelled("\(what) was cancelled") }
    }
}
