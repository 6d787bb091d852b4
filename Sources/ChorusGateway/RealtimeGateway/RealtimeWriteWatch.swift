import NIOConcurrencyHelpers

/// Notices a client that does not read: a write to its socket that has not completed for `limit` (the socket's
/// buffers and the channel's high water mark are full) means the client stopped reading, and buffering more for it
/// would grow without bound. One watch per session, polled, so that a frame's write costs two lock operations.
final class RealtimeWriteWatch: Sendable {
    private let since = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    let limit: Duration

    init(limit: Duration) { self.limit = limit }

    func writing() { since.withLockedValue { $0 = .now } }
    func written() { since.withLockedValue { $0 = nil } }

    /// Returns when a write has been pending for `limit`; never returns while writes complete (until cancelled).
    func stuck() async -> Bool {
        let step = max(limit / 4, .milliseconds(10))
        while !Task.isCancelled {
            if let start = since.withLockedValue({ $0 }), ContinuousClock.now - start >= limit { return true }
            try? await Task.sleep(for: step)
        }
        return false
    }
}
