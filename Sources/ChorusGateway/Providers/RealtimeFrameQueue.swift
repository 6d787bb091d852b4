import NIOConcurrencyHelpers

/// A bounded first-in first-out queue of frames between one producer and one consumer: `push` suspends while
/// `capacity` frames wait, so a reader that stops reading stops its writer (back-pressure) instead of growing
/// memory. `finish` ends it: `push` then returns false and `next` returns nil once drained.
final class RealtimeFrameQueue: Sendable {
    private struct State {
        var frames: [RealtimeFrame] = []
        var head = 0
        var finished = false
        var waitingReader: CheckedContinuation<RealtimeFrame?, Never>?
        var waitingWriter: CheckedContinuation<Bool, Never>?
        var count: Int { frames.count - head }
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Frames queued and not yet taken.
    var count: Int { state.withLockedValue { $0.count } }

    /// Adds a frame, waiting while the queue is full; false when the queue is finished (the frame is dropped).
    func push(_ frame: RealtimeFrame) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let (reader, accepted): (CheckedContinuation<RealtimeFrame?, Never>?, Bool?) = state.withLockedValue { state in
                    if state.finished { return (nil, false) }
                    if let reader = state.waitingReader {
                        state.waitingReader = nil
                        return (reader, true)
                    }
                    if state.count < capacity {
                        state.frames.append(frame)
                        return (nil, true)
                    }
                    // Full: the frame goes in now, the writer waits until the reader takes one.
                    state.frames.append(frame)
                    state.waitingWriter = continuation
                    return (nil, nil)
                }
                reader?.resume(returning: frame)
                if let accepted { continuation.resume(returning: accepted) }
            }
        } onCancel: {
            finish()
        }
    }

    /// The next frame, waiting for one; nil once finished and drained.
    func next() async -> RealtimeFrame? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<RealtimeFrame?, Never>) in
                let (frame, writer, ready): (RealtimeFrame?, CheckedContinuation<Bool, Never>?, Bool) = state.withLockedValue { state in
                    if state.count > 0 {
                        let frame = state.frames[state.head]
                        state.head += 1
                        if state.head > 64, state.head * 2 > state.frames.count {
                            state.frames.removeFirst(state.head)
                            state.head = 0
                        }
                        let writer = state.count < capacity ? state.waitingWriter : nil
                        if writer != nil { state.waitingWriter = nil }
                        return (frame, writer, true)
                    }
                    if state.finished { return (nil, nil, true) }
                    state.waitingReader = continuation
                    return (nil, nil, false)
                }
                writer?.resume(returning: true)
                if ready { continuation.resume(returning: frame) }
            }
        } onCancel: {
            releaseReader()
        }
    }

    /// A reader that stopped waiting (its task was cancelled) gets nil; the queue stays open, so the writer goes on
    /// until whoever owns the queue finishes it (a session closes its far side first, then finishes its queue: the
    /// far side must hear the close code, not a close of its own making).
    private func releaseReader() {
        let reader = state.withLockedValue { state -> CheckedContinuation<RealtimeFrame?, Never>? in
            defer { state.waitingReader = nil }
            return state.waitingReader
        }
        reader?.resume(returning: nil)
    }

    /// Ends the queue: a waiting reader gets nil (after what is queued), a waiting writer false.
    func finish() {
        let (reader, writer) = state.withLockedValue { state -> (CheckedContinuation<RealtimeFrame?, Never>?, CheckedContinuation<Bool, Never>?) in
            state.finished = true
            let reader = state.count == 0 ? state.waitingReader : nil
            if reader != nil { state.waitingReader = nil }
            let writer = state.waitingWriter
            state.waitingWriter = nil
            return (reader, writer)
        }
        reader?.resume(returning: nil)
        writer?.resume(returning: false)
    }

    /// The frames as a stream (pull-based: nothing is taken before the consumer asks).
    func stream() -> AsyncStream<RealtimeFrame> {
        AsyncStream(unfolding: { await self.next() })
    }
}
