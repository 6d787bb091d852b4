import NIOCore

extension Transfer {
    /// Everything a transfer decides, with nothing it does: the events from the consumer, the request-body
    /// producer and curl's callbacks go in, and an action comes out for `Transfer` to carry out (resume a
    /// waiter, pause or unpause curl, abort, remove the transfer from the multi handle). A value type with no
    /// lock, no curl and no socket, so every state and event can be tested on its own (async-http-client's
    /// `Transaction+StateMachine` works the same way).
    ///
    /// Generic over the waiters so that tests can stand in plain values for continuations and tasks; `Transfer`
    /// uses `Transfer.Machine`. `Transfer` calls every method under its lock and resumes waiters after leaving it.
    struct StateMachine<HeadWaiter, BodyWaiter, UploadWaiter, UploadTask> {
        enum Outcome {
            /// curl finished the transfer; buffered chunks are still delivered, then the end.
            case completed
            /// curl (or a callback) failed the transfer; buffered chunks are still delivered, then the error.
            case failed(UpstreamError)
            /// The caller gave up: buffered chunks are dropped, every wait throws at once.
            case cancelled(UpstreamError)

            var error: UpstreamError? {
                switch self {
                case .completed: return nil
                case .failed(let error), .cancelled(let error): return error
                }
            }
        }

        /// The waiters a terminal event takes out of the machine; all of them are resumed (or cancelled) at once.
        struct Waiters {
            var head: HeadWaiter?
            var body: BodyWaiter?
            var upload: UploadWaiter?
            var uploadTask: UploadTask?
        }

        /// curl's pause bits as they should be after a pause update.
        struct PauseBits: Equatable {
            var receive: Bool
            var send: Bool
        }

        let highWatermark: Int
        let lowWatermark: Int

        /// nil while curl is still running the transfer.
        private(set) var outcome: Outcome?
        /// The final head, once the header callback saw it. Stays for a late `headRequested`.
        private(set) var head: ResponseHead?
        private var headWaiter: HeadWaiter?

        private var chunks = CircularBuffer<ByteBuffer>()
        private(set) var bufferedBytes = 0
        private var bodyWaiter: BodyWaiter?
        /// The consumer saw the end or an error; a later cancel is a no-op.
        private(set) var consumerDone = false

        /// Mirror curl's pause bits, which only the write/read callbacks and `curl_easy_pause` change.
        private(set) var receivePaused = false
        private(set) var sendPaused = false
        /// A pause update is on its way to the curl loop; more wake-ups until it ran would be redundant.
        private var pauseUpdateQueued = false

        private var upload = CircularBuffer<ByteBuffer>()
        private(set) var uploadBytes = 0
        private var uploadEnded = false
        private var uploadError: (any Error)?
        private var uploadWaiter: UploadWaiter?
        private var uploadTask: UploadTask?

        private(set) var pauseCount = 0
        private(set) var maxBufferedBytes = 0

        init(highWatermark: Int, lowWatermark: Int) {
            self.highWatermark = highWatermark
            self.lowWatermark = lowWatermark
        }

        var isFinished: Bool { self.outcome != nil }

        // MARK: consumer: head

        enum HeadRequestAction {
            case succeed(ResponseHead)
            case fail(UpstreamError)
            /// The waiter is stored; a later event resumes it.
            case wait
        }

        /// `waiter` nil: only looks (`.wait` then stores nothing), so a consumer can take what is already there
        /// without suspending.
        mutating func headRequested(_ waiter: HeadWaiter?) -> HeadRequestAction {
            if let head = self.head { return .succeed(head) }
            if let outcome = self.outcome {
                return .fail(outcome.error ?? .transferFailed("the transfer ended without a response"))
            }
            guard let waiter else { return .wait }
            self.headWaiter = waiter
            return .wait
        }

        // MARK: consumer: body

        enum BodyRequestAction {
            /// Hand over the chunk; with `updatePause`, the curl loop must re-evaluate the pause bits
            /// (the buffer drained below the low watermark).
            case deliver(ByteBuffer, updatePause: Bool)
            case end
            case fail(UpstreamError)
            /// The waiter is stored; a later event resumes it.
            case wait
        }

        /// `waiter` nil: only looks, as for the head.
        mutating func bodyRequested(_ waiter: BodyWaiter?) -> BodyRequestAction {
            if self.consumerDone { return .end }
            if case .cancelled(let error) = self.outcome {
                self.consumerDone = true
                return .fail(error)
            }
            if let chunk = self.chunks.popFirst() {
                self.bufferedBytes -= chunk.readableBytes
                return .deliver(chunk, updatePause: self.takePauseUpdate())
            }
            switch self.outcome {
            case .completed, .cancelled:
                self.consumerDone = true
                return .end
            case .failed(let error):
                self.consumerDone = true
                return .fail(error)
            case nil:
                guard self.bodyWaiter == nil else {
                    return .fail(.invalidRequest("the response body has a single consumer"))
                }
                guard let waiter else { return .wait }
                self.bodyWaiter = waiter
                return .wait
            }
        }

        // MARK: consumer: cancellation

        enum CancelAction {
            case none
            /// Fail every waiter with `error` and cancel the upload task; with `removeTransfer`, curl is still
            /// running the transfer and the curl loop must take it out of the multi handle.
            case abort(Waiters, error: UpstreamError, removeTransfer: Bool)
        }

        mutating func cancelRequested(_ error: UpstreamError) -> CancelAction {
            if self.consumerDone { return .none }
            if case .cancelled = self.outcome { return .none }
            let removeTransfer = self.outcome == nil
            self.outcome = .cancelled(error)
            self.chunks.removeAll()
            self.bufferedBytes = 0
            if self.bodyWaiter != nil { self.consumerDone = true }
            return .abort(self.takeWaiters(), error: error, removeTransfer: removeTransfer)
        }

        // MARK: first-byte deadline

        enum FirstByteTimeoutAction {
            case none
            /// Fail every waiter with `error` and cancel the upload task; the curl loop takes the transfer out
            /// of the multi handle first, so the upstream sees the connection (or its HTTP/2 stream) closed.
            case abort(Waiters, error: UpstreamError)
        }

        /// The request's first-byte deadline passed (curl loop). Without a head the transfer fails with
        /// `error` (a timeout); once the head is in, or the transfer is over, it is not this deadline's business:
        /// the idle and total limits govern the body.
        mutating func firstByteTimeoutExpired(_ error: UpstreamError) -> FirstByteTimeoutAction {
            guard self.head == nil, self.outcome == nil else { return .none }
            self.outcome = .failed(error)
            if self.bodyWaiter != nil { self.consumerDone = true }
            return .abort(self.takeWaiters(), error: error)
        }

        // MARK: request body producer

        enum UploadStartAction {
            /// The transfer already ended: cancel the task at once.
            case cancelTask
            /// The task is stored; it is cancelled when the transfer ends.
            case keep
        }

        mutating func uploadStarted(_ task: UploadTask) -> UploadStartAction {
            if self.outcome != nil { return .cancelTask }
            self.uploadTask = task
            return .keep
        }

        enum UploadChunkAction: Equatable {
            /// The transfer is over: stop producing.
            case stop
            /// Queued. `updatePause`: the curl loop must re-evaluate the pause bits; `wait`: too much is queued,
            /// the producer waits (`uploadWaitRequested`) before the next chunk.
            case queued(updatePause: Bool, wait: Bool)
        }

        mutating func uploadChunkProduced(_ chunk: ByteBuffer) -> UploadChunkAction {
            guard self.outcome == nil else { return .stop }
            self.upload.append(chunk)
            self.uploadBytes += chunk.readableBytes
            return .queued(updatePause: self.takePauseUpdate(), wait: self.uploadBytes > self.highWatermark)
        }

        enum UploadWaitAction {
            case resume
            /// The waiter is stored; the read callback resumes it once curl drained the queue.
            case wait
        }

        mutating func uploadWaitRequested(_ waiter: UploadWaiter) -> UploadWaitAction {
            if self.outcome != nil || self.uploadBytes <= self.lowWatermark { return .resume }
            self.uploadWaiter = waiter
            return .wait
        }

        /// The producer's stream ended (`error` nil) or threw. True if the curl loop must re-evaluate the
        /// pause bits.
        mutating func uploadFinished(error: (any Error)?) -> Bool {
            if let error {
                self.uploadError = error
            } else {
                self.uploadEnded = true
            }
            return self.takePauseUpdate()
        }

        // MARK: curl loop: curl callbacks

        enum BodyReceivedAction {
            /// The transfer is over: the write callback aborts.
            case abort
            /// Too much is buffered: the write callback pauses (curl keeps the bytes and hands them over again).
            case pause
            /// Taken, straight to the waiting consumer if there is one, else into the buffer.
            case taken(BodyWaiter?)
        }

        mutating func bodyReceived(_ chunk: ByteBuffer) -> BodyReceivedAction {
            if self.outcome != nil { return .abort }
            if self.bufferedBytes >= self.highWatermark {
                self.receivePaused = true
                self.pauseCount += 1
                return .pause
            }
            if let waiter = self.bodyWaiter {
                self.bodyWaiter = nil
                return .taken(waiter)
            }
            self.chunks.append(chunk)
            self.bufferedBytes += chunk.readableBytes
            self.maxBufferedBytes = max(self.maxBufferedBytes, self.bufferedBytes)
            return .taken(nil)
        }

        /// The head is kept without waking its waiter: `headReleased` does that after curl's current pass.
        mutating func headReceived(_ head: ResponseHead) {
            self.head = head
        }

        /// The waiter to resume with the head, if the head is in and someone waits for it.
        mutating func headReleased() -> (HeadWaiter, ResponseHead)? {
            guard let head = self.head, let waiter = self.headWaiter else { return nil }
            self.headWaiter = nil
            return (waiter, head)
        }

        enum UploadReadAction {
            /// The transfer is over (nil) or the producer's stream failed (its error): the read callback aborts.
            case abort(UpstreamError?)
            /// Nothing queued yet: the read callback pauses until the producer queues more.
            case pause
            /// The producer finished and everything was sent.
            case end
            /// `count` bytes were copied; resume the waiting producer if there is one.
            case copied(Int, resume: UploadWaiter?)
        }

        /// The read callback: copies queued request-body bytes into `destination`.
        mutating func uploadRead(into destination: UnsafeMutableRawBufferPointer) -> UploadReadAction {
            if self.outcome != nil { return .abort(nil) }
            if let error = self.uploadError {
                return .abort(.transferFailed("the request body stream failed: \(error)"))
            }
            if self.upload.isEmpty {
                if self.uploadEnded { return .end }
                self.sendPaused = true
                return .pause
            }
            var written = 0
            while written < destination.count, var chunk = self.upload.first {
                let take = min(chunk.readableBytes, destination.count - written)
                chunk.withUnsafeReadableBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: destination[written..<(written + take)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<take]))
                }
                written += take
                chunk.moveReaderIndex(forwardBy: take)
                if chunk.readableBytes == 0 {
                    self.upload.removeFirst()
                } else {
                    self.upload[self.upload.startIndex] = chunk
                }
            }
            self.uploadBytes -= written
            var waiter: UploadWaiter?
            if self.uploadBytes <= self.lowWatermark {
                waiter = self.uploadWaiter
                self.uploadWaiter = nil
            }
            return .copied(written, resume: waiter)
        }

        // MARK: curl loop: lifecycle

        /// The curl loop runs a queued pause update: the new pause bits if they changed, else nil.
        mutating func pauseUpdateRan() -> PauseBits? {
            self.pauseUpdateQueued = false
            var changed = false
            if self.receivePaused && self.bufferedBytes <= self.lowWatermark {
                self.receivePaused = false
                changed = true
            }
            if self.sendPaused && self.uploadReady {
                self.sendPaused = false
                changed = true
            }
            guard changed else { return nil }
            return PauseBits(receive: self.receivePaused, send: self.sendPaused)
        }

        enum FinishAction {
            case none
            /// Resume every waiter with these results and cancel the upload task.
            case resume(Waiters, head: Result<ResponseHead, UpstreamError>, body: Result<ByteBuffer?, UpstreamError>)
        }

        /// curl finished the transfer on its own, with `error` or without. A no-op after a cancel.
        mutating func finished(error: UpstreamError?) -> FinishAction {
            guard self.outcome == nil else { return .none }
            self.outcome = error.map { .failed($0) } ?? .completed
            if self.bodyWaiter != nil { self.consumerDone = true }
            // A head stored in this pass but not released yet still answers its waiter; the body then ends (or
            // fails) after the chunks buffered with it.
            let head: Result<ResponseHead, UpstreamError> = self.head.map { .success($0) }
                ?? .failure(error ?? .transferFailed("the upstream closed without sending a response"))
            return .resume(self.takeWaiters(), head: head, body: error.map { .failure($0) } ?? .success(nil))
        }

        // MARK: helpers

        private var uploadReady: Bool {
            !self.upload.isEmpty || self.uploadEnded || self.uploadError != nil
        }

        /// Whether the curl loop should re-evaluate the pause bits; marks the update as queued if so.
        private mutating func takePauseUpdate() -> Bool {
            guard !self.pauseUpdateQueued else { return false }
            let receive = self.receivePaused && self.bufferedBytes <= self.lowWatermark
            let send = self.sendPaused && self.uploadReady
            guard receive || send else { return false }
            self.pauseUpdateQueued = true
            return true
        }

        private mutating func takeWaiters() -> Waiters {
            defer {
                self.headWaiter = nil
                self.bodyWaiter = nil
                self.uploadWaiter = nil
                self.uploadTask = nil
            }
            return Waiters(head: self.headWaiter, body: self.bodyWaiter, upload: self.uploadWaiter,
                           uploadTask: self.uploadTask)
        }
    }
}

