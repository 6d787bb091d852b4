import Dispatch
import NIOConcurrencyHelpers
import NIOCore

/// One piece of a long upload: 16 kHz mono WAV, and where it starts in the whole.
struct AudioPiece: Sendable {
    var index: Int
    var wav: ByteBuffer
    var startSeconds: Double
    var seconds: Double
}

/// Pieces handed from the decoding thread to the senders, at most `capacity` waiting or in flight: the decoder
/// blocks (on its own thread, never an event loop) until a sent piece is released, so a three-hour upload is never
/// held decoded in memory at once.
final class AudioPieceFeed: Sendable {
    private let slots: DispatchSemaphore
    private let state = NIOLockedValueBox<(pieces: [AudioPiece], waiter: CheckedContinuation<AudioPiece?, Never>?, finished: Bool, cancelled: Bool)>(([], nil, false, false))
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        slots = DispatchSemaphore(value: self.capacity)
    }

    /// Decoding thread: waits for a free slot, then queues the piece. False once the feed is cancelled.
    func put(_ piece: AudioPiece) -> Bool {
        slots.wait()
        let (waiter, accepted) = state.withLockedValue { state -> (CheckedContinuation<AudioPiece?, Never>?, Bool) in
            if state.cancelled { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            state.pieces.append(piece)
            return (nil, true)
        }
        waiter?.resume(returning: piece)
        return accepted
    }

    /// Decoding thread: no more pieces.
    func finish() {
        end { $0.finished = true }
    }

    /// The next piece in order, or nil when decoding finished (or the feed was cancelled).
    func next() async -> AudioPiece? {
        await withCheckedContinuation { continuation in
            let ready: AudioPiece?? = state.withLockedValue { state in
                if !state.pieces.isEmpty { return .some(state.pieces.removeFirst()) }
                if state.finished || state.cancelled { return .some(nil) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// A piece was sent (or given up): its slot is free for the decoder.
    func release() { slots.signal() }

    /// Stops the decoder at its next piece and wakes a waiting consumer.
    func cancel() {
        end { $0.cancelled = true }
        for _ in 0..<capacity { slots.signal() }
    }

    /// Marks the feed ended (`mark`) and tells a waiting consumer there is nothing more.
    private func end(_ mark: (inout (pieces: [AudioPiece], waiter: CheckedContinuation<AudioPiece?, Never>?, finished: Bool, cancelled: Bool)) -> Void) {
        let waiter = state.withLockedValue { state in
            mark(&state)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
