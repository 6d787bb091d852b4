import NIOConcurrencyHelpers

/// Who ended a relayed session and how: the first to say so wins, and the other side is closed with its code.
final class RealtimeEnding: Sendable {
    enum Side: String, Sendable { case client, upstream, gateway }

    private let ending = NIOLockedValueBox<(close: RealtimeClose, side: Side)?>(nil)

    /// Records the ending unless one was recorded first; returns the ending in force.
    @discardableResult
    func set(_ close: RealtimeClose, by side: Side) -> (close: RealtimeClose, side: Side) {
        ending.withLockedValue { ending in
            if let ending { return ending }
            ending = (close, side)
            return (close, side)
        }
    }

    var value: (close: RealtimeClose, side: Side)? { ending.withLockedValue { $0 } }
}
