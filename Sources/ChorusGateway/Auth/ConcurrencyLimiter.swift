import NIOConcurrencyHelpers

/// Requests each key has open (a stream counts until its last byte): `max_concurrency` refuses the one past it.
public final class ConcurrencyLimiter: Sendable {
    private let open = NIOLockedValueBox([Int64: Int]())

    public init() {}

    /// Counts one more open request for the key; false (and nothing counted) when it already has `limit` open.
    public func enter(keyID: Int64, limit: Int) -> Bool {
        open.withLockedValue { open in
            let count = open[keyID, default: 0]
            guard count < limit else { return false }
            open[keyID] = count + 1
            return true
        }
    }

    public func leave(keyID: Int64) {
        open.withLockedValue { open in
            let count = open[keyID, default: 0] - 1
            open[keyID] = count > 0 ? count : nil
        }
    }

    public func openCount(keyID: Int64) -> Int { open.withLockedValue { $0[keyID, default: 0] } }
}
