import CMediaShims
import CFFmpeg
import NIOConcurrencyHelpers

/// Runs libavformat + libavcodec for a streamed container on a dedicated thread whose read
/// callback blocks until more input arrives, so the demuxer sees an ordinary (slow) stream.
///
/// Calls are strictly alternating: ``feed(_:)`` hands bytes over and returns once the thread has
/// used them all and waits for more (or has stopped). So the thread touches the sink only while
/// the caller is inside ``feed(_:)`` or ``finish()``, never at the same time as the caller.
final class StreamingDemuxWorker {
    private let session: Session
    private let thread: WorkerThread

    init(sink: any SampleSink, limits: AudioLimits) throws {
        let session = Session(sink: sink, limits: limits)
        self.session = session
        // The thread holds the session, not this owner, so dropping the owner still stops it.
        self.thread = try WorkerThread(name: "chorus-demux") { session.run() }
    }

    deinit { cancel() }

    /// Hands `bytes` to the demuxer and waits until it has used them. Returns whether the
    /// decoder is open (the input was recognised as audio).
    func feed(_ bytes: [UInt8]) throws -> Bool { try session.feed(bytes) }

    /// Ends the input, waits for the thread to decode the rest, and reports its failure if any.
    func finish() throws {
        defer { thread.join() }
        try session.finish()
    }

    /// Stops the thread (blocking reads return AVERROR_EXIT) and waits for it.
    func cancel() {
        session.cancel()
        thread.join()
    }
}

/// The state shared between the caller and the demuxer thread.
private final class Session: @unchecked Sendable {
    /// Whose turn it is. The caller hands over (new bytes, the end of input, a cancel) and waits for
    /// `.caller`; the thread takes `.worker` turns and gives the turn back when it has used every byte and
    /// waits for more (parks), or when it stopped. Once stopped the value stays `.caller`.
    private enum Turn { case caller, worker }

    private let lock = ConditionLock(value: Turn.worker)
    private let sink: any SampleSink
    private let limits: AudioLimits
    private let abortFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    // Guarded by `lock`.
    private var received: [UInt8] = []
    private var inputClosed = false
    private var cancelled = false
    private var stopped = false
    private var decoderOpen = false
    private var failure: AudioError?

    // Worker thread only.
    private var readPosition = 0

    init(sink: any SampleSink, limits: AudioLimits) {
        self.sink = sink
        self.limits = limits
        abortFlag.initialize(to: 0)
    }

    deinit { abortFlag.deallocate() }

    func feed(_ bytes: [UInt8]) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        received.append(contentsOf: bytes)
        handOver()
        if let failure { throw failure }
        return decoderOpen
    }

    func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        inputClosed = true
        handOver()
        if let failure { throw failure }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        abortFlag.pointee = 1
        lock.unlock(withValue: stopped ? .caller : .worker)
    }

    /// Gives the turn to the thread and waits (holding the lock again on return) until it parked or stopped.
    /// Called with the lock held.
    private func handOver() {
        guard !stopped else { return }
        lock.unlock(withValue: .worker)
        lock.lock(whenValue: .caller)
    }

    /// The thread's body: demux and decode until the input ends, fails or is cancelled.
    func run() {
        var outcome: AudioError?
        do {
            let decoder = try DemuxDecoder(input: StreamInput(session: self), limits: limits, abortFlag: abortFlag)
            if let declared = decoder.declaredDuration, declared > limits.maxDurationSeconds + 0.1 {
                throw AudioError.tooLong("audio is \(DemuxDecoder.seconds(declared)) long, more than \(DemuxDecoder.seconds(limits.maxDurationSeconds))")
            }
            lock.lock()
            decoderOpen = true
            lock.unlock()
            try decoder.decodeAll { frame in try sink.write(frame: frame) }
        } catch let error as AudioError {
            outcome = error
        } catch {
            outcome = .corrupt("decoding failed: \(error)")
        }
        lock.lock()
        failure = outcome
        stopped = true
        lock.unlock(withValue: .caller)
    }

    /// The read callback's side: blocks until bytes past `readPosition` exist or the input ends.
    fileprivate func read(_ buffer: UnsafeMutablePointer<UInt8>, _ size: Int, input: AVIOInput) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        while readPosition >= received.count && !inputClosed && !cancelled {
            // Park: the caller's turn until it brings more bytes, closes the input or cancels.
            lock.unlock(withValue: .caller)
            lock.lock(whenValue: .worker)
        }
        if cancelled { return FFmpegCode.exit }
        let available = received.count - readPosition
        guard available > 0 else {
            input.reachedEnd = true
            return FFmpegCode.eof
        }
        let count = min(available, size)
        received.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            buffer.update(from: base + readPosition, count: count)
        }
        readPosition += count
        return Int32(count)
    }

    fileprivate func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        let target = resolveSeek(offset: offset, whence: whence, position: readPosition,
                                 size: inputClosed ? received.count : nil)
        if target >= 0, whence & ~Int32(AVSEEK_FORCE) != AVSEEK_SIZE { readPosition = Int(target) }
        return target
    }

    fileprivate func prefix(_ count: Int) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return Array(received.prefix(count))
    }

    /// The streamed input as libavformat sees it: not seekable (no optional seeks), but seeks
    /// backwards into what arrived still work, and seeks forward wait for the bytes.
    private final class StreamInput: AVIOInput {
        unowned let session: Session
        init(session: Session) { self.session = session }
        override func read(_ buffer: UnsafeMutablePointer<UInt8>, _ size: Int) -> Int32 { session.read(buffer, size, input: self) }
        override func seek(_ offset: Int64, _ whence: Int32) -> Int64 { session.seek(offset, whence) }
        override func prefix(_ count: Int) -> [UInt8] { session.prefix(count) }
    }
}
