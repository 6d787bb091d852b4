import CCurlShims
import CCurl
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Status and headers of the final (non-1xx) response.
struct ResponseHead: Sendable {
    var status: Int
    var headers: [(String, String)]
}

/// One request from `execute` to the end of its body: the state shared between the consumer (any task) and
/// the event thread, plus the event-thread-only parts that curl's callbacks use.
///
/// `@unchecked Sendable`: `state` is only touched under `lock`; the fields under "event thread only" are only
/// touched on the curl event thread (in curl callbacks and in `CurlEventLoop`), which is what makes them safe.
final class Transfer: @unchecked Sendable {
    /// Above this many buffered body bytes the write callback pauses the transfer.
    static let highWatermark = 256 * 1024
    /// The consumer unpauses the transfer once it drained the buffer to this.
    static let lowWatermark = 64 * 1024

    private static let allocator = ByteBufferAllocator()

    let request: UpstreamRequest
    private let loop: CurlEventLoop
    private let lock = NIOLock()
    private var state = State()

    // MARK: event thread only
    /// The easy handle while the transfer is in the multi handle.
    var easy: CurlEasy?
    /// Why a callback aborted the transfer; wins over curl's own error text for that abort.
    var callbackFailure: UpstreamError?
    /// The address the OPENSOCKET/PREREQ check refused, if any.
    var refusedAddress: String?
    var receivedBytes = 0
    /// Where the read callback is in a `.buffers` body: which buffer, and how far into it.
    private var memoryBodyIndex = 0
    private var memoryBodyOffset = 0
    private var headDelivered = false
    private var parsingStatus: Int?
    private var parsingHeaders: [(String, String)] = []

    private enum Outcome {
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

    private struct State {
        var outcome: Outcome?
        var head: ResponseHead?
        var headWaiter: CheckedContinuation<ResponseHead, any Error>?

        var chunks = CircularBuffer<ByteBuffer>()
        var bufferedBytes = 0
        var bodyWaiter: CheckedContinuation<ByteBuffer?, any Error>?
        /// The consumer saw the end or an error; a later `cancel()` is a no-op.
        var consumerDone = false

        /// Mirrors curl's pause bits, which only the write/read callbacks and `curl_easy_pause` change.
        var recvPaused = false
        var sendPaused = false
        var pauseUpdateQueued = false

        var upload = CircularBuffer<ByteBuffer>()
        var uploadBytes = 0
        var uploadEnded = false
        var uploadError: (any Error)?
        var uploadWaiter: CheckedContinuation<Void, Never>?
        var uploadTask: Task<Void, Never>?

        var pauseCount = 0
        var maxBufferedBytes = 0

        /// Whether the event thread should re-evaluate the pause bits; marks the update as queued if so.
        mutating func takePauseUpdate() -> Bool {
            guard !self.pauseUpdateQueued else { return false }
            let recv = self.recvPaused && self.bufferedBytes <= Transfer.lowWatermark
            let send = self.sendPaused && (!self.upload.isEmpty || self.uploadEnded || self.uploadError != nil)
            guard recv || send else { return false }
            self.pauseUpdateQueued = true
            return true
        }
    }

    struct Stats: Sendable {
        var pauseCount: Int
        var maxBufferedBytes: Int
    }

    init(request: UpstreamRequest, loop: CurlEventLoop) {
        self.request = request
        self.loop = loop
    }

    /// How often the body was paused for backpressure and the most it buffered (for tests and diagnostics).
    var stats: Stats {
        self.lock.withLock { Stats(pauseCount: self.state.pauseCount, maxBufferedBytes: self.state.maxBufferedBytes) }
    }

    var isFinished: Bool {
        self.lock.withLock { self.state.outcome != nil }
    }

    // MARK: consumer side

    func waitForHead() async throws -> ResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ResponseHead, any Error>) in
                let result: Result<ResponseHead, UpstreamError>? = self.lock.withLock {
                    if let head = self.state.head { return .success(head) }
                    if let outcome = self.state.outcome {
                        return .failure(outcome.error ?? .transferFailed("the transfer ended without a response"))
                    }
                    self.state.headWaiter = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            self.cancel(.cancelled("the request was cancelled while waiting for the response"))
        }
    }

    func nextChunk() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let (result, wake): (Result<ByteBuffer?, UpstreamError>?, Bool) = self.lock.withLock {
                    if self.state.consumerDone { return (.success(nil), false) }
                    if case .cancelled(let error) = self.state.outcome {
                        self.state.consumerDone = true
                        return (.failure(error), false)
                    }
                    if let chunk = self.state.chunks.popFirst() {
                        self.state.bufferedBytes -= chunk.readableBytes
                        return (.success(chunk), self.state.takePauseUpdate())
                    }
                    switch self.state.outcome {
                    case .completed, .cancelled:
                        self.state.consumerDone = true
                        return (.success(nil), false)
                    case .failed(let error):
                        self.state.consumerDone = true
                        return (.failure(error), false)
                    case nil:
                        guard self.state.bodyWaiter == nil else {
                            return (.failure(.invalidRequest("the response body has a single consumer")), false)
                        }
                        self.state.bodyWaiter = continuation
                        return (nil, false)
                    }
                }
                if wake { self.loop.submit(.updatePause(self)) }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            self.cancel(.cancelled("the task reading the response body was cancelled"))
        }
    }

    /// Aborts the transfer (no-op once the consumer saw its end). The event thread removes it from the multi
    /// handle at its next turn; waiters throw `error` now.
    func cancel(_ error: UpstreamError) {
        let taken: (TakenWaiters, needsRemoval: Bool)? = self.lock.withLock {
            if self.state.consumerDone { return nil }
            if case .cancelled = self.state.outcome { return nil }
            let needsRemoval = self.state.outcome == nil
            self.state.outcome = .cancelled(error)
            self.state.chunks.removeAll()
            self.state.bufferedBytes = 0
            if self.state.bodyWaiter != nil { self.state.consumerDone = true }
            return (self.takeWaitersLocked(), needsRemoval)
        }
        guard let (waiters, needsRemoval) = taken else { return }
        if needsRemoval { self.loop.submit(.remove(self)) }
        waiters.resume(head: .failure(error), body: .failure(error))
    }

    // MARK: request body (upload) side

    /// Feeds `stream` to the read callback. Owned by the transfer: cancelled when the transfer ends.
    func startUpload(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) {
        let task = Task { await self.pumpUpload(stream) }
        let cancelNow: Bool = self.lock.withLock {
            if self.state.outcome != nil { return true }
            self.state.uploadTask = task
            return false
        }
        if cancelNow { task.cancel() }
    }

    private func pumpUpload(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) async {
        do {
            for try await chunk in stream {
                guard await self.pushUpload(chunk) else { return }
            }
            self.endUpload(error: nil)
        } catch {
            self.endUpload(error: error)
        }
    }

    /// Queues a chunk for the read callback; waits while too much is queued. False once the transfer ended.
    private func pushUpload(_ chunk: ByteBuffer) async -> Bool {
        guard chunk.readableBytes > 0 else { return true }
        let (alive, wake, mustWait): (Bool, Bool, Bool) = self.lock.withLock {
            guard self.state.outcome == nil else { return (false, false, false) }
            self.state.upload.append(chunk)
            self.state.uploadBytes += chunk.readableBytes
            return (true, self.state.takePauseUpdate(), self.state.uploadBytes > Transfer.highWatermark)
        }
        guard alive else { return false }
        if wake { self.loop.submit(.updatePause(self)) }
        if mustWait {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready: Bool = self.lock.withLock {
                    if self.state.outcome != nil || self.state.uploadBytes <= Transfer.lowWatermark { return true }
                    self.state.uploadWaiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
        return self.lock.withLock { self.state.outcome == nil }
    }

    private func endUpload(error: (any Error)?) {
        let wake: Bool = self.lock.withLock {
            if let error {
                self.state.uploadError = error
            } else {
                self.state.uploadEnded = true
            }
            return self.state.takePauseUpdate()
        }
        if wake { self.loop.submit(.updatePause(self)) }
    }

    // MARK: event thread: curl callbacks

    /// CURLOPT_WRITEFUNCTION. Returns `count` (taken), `CURL_WRITEFUNC_PAUSE` (not taken: curl keeps the bytes
    /// and hands them over again after unpause) or 0 (abort).
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        if let limit = self.request.maxResponseBytes, self.receivedBytes + count > limit {
            self.callbackFailure = .responseTooLarge(limit: limit)
            return 0
        }
        guard count > 0 else { return 0 }
        var chunk = Transfer.allocator.buffer(capacity: count)
        chunk.writeBytes(bytes)
        enum Action { case abort, pause, taken(CheckedContinuation<ByteBuffer?, any Error>?) }
        let action: Action = self.lock.withLock {
            if self.state.outcome != nil { return .abort }
            if self.state.bufferedBytes >= Transfer.highWatermark {
                self.state.recvPaused = true
                self.state.pauseCount += 1
                return .pause
            }
            if let waiter = self.state.bodyWaiter {
                self.state.bodyWaiter = nil
                return .taken(waiter)
            }
            self.state.chunks.append(chunk)
            self.state.bufferedBytes += count
            self.state.maxBufferedBytes = max(self.state.maxBufferedBytes, self.state.bufferedBytes)
            return .taken(nil)
        }
        switch action {
        case .abort:
            return 0
        case .pause:
            return Int(CURL_WRITEFUNC_PAUSE)
        case .taken(let waiter):
            self.receivedBytes += count
            waiter?.resume(returning: chunk)
            return count
        }
    }

    /// CURLOPT_HEADERFUNCTION: one header line per call, for every response including 1xx ones.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        guard !self.headDelivered else { return count }  // trailers
        // Strip CR LF on the bytes: "\r\n" is a single Character in Swift.
        var end = count
        while end > 0, bytes[end - 1] == 0x0d || bytes[end - 1] == 0x0a { end -= 1 }
        let line = Substring(Self.decodeHeader(UnsafeRawBufferPointer(rebasing: bytes[0..<end])))

        if line.isEmpty {
            guard let status = self.parsingStatus else { return count }
            if (100..<200).contains(status) && status != 101 {
                // An interim response (100 Continue, 103 Early Hints): the real one follows.
                self.parsingStatus = nil
                self.parsingHeaders = []
                return count
            }
            self.headDelivered = true
            self.storeHead(ResponseHead(status: status, headers: self.parsingHeaders))
            self.parsingHeaders = []
            return count
        }
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let status = parts.count > 1 ? Int(parts[1]) : nil
            guard let status = status ?? self.easy?.info(CURLINFO_RESPONSE_CODE), (100...999).contains(status) else {
                self.callbackFailure = .transferFailed("malformed status line from upstream")
                return 0
            }
            self.parsingStatus = status
            self.parsingHeaders = []
            return count
        }
        if let first = line.first, first == " " || first == "\t" {
            // obs-fold: a continuation of the previous header's value.
            if let lastIndex = self.parsingHeaders.indices.last {
                self.parsingHeaders[lastIndex].1 += " " + Self.trimmed(line)
            }
            return count
        }
        if let colon = line.firstIndex(of: ":") {
            self.parsingHeaders.append((String(line[..<colon]), Self.trimmed(line[line.index(after: colon)...])))
        }
        return count
    }

    /// Keeps the head for the consumer without waking it: the event loop calls `releaseHead()` once curl's
    /// current pass is over, so a small answer whose body and end came in the same read wakes the consumer once
    /// with everything, instead of once for the head and again for the body.
    private func storeHead(_ head: ResponseHead) {
        self.lock.withLock { self.state.head = head }
        self.loop.headArrived(self)
    }

    /// Wakes the task waiting for the head, if one is waiting. Event thread, after the curl pass that stored it.
    func releaseHead() {
        let taken: (CheckedContinuation<ResponseHead, any Error>, ResponseHead)? = self.lock.withLock {
            guard let head = self.state.head, let waiter = self.state.headWaiter else { return nil }
            self.state.headWaiter = nil
            return (waiter, head)
        }
        if let (waiter, head) = taken { waiter.resume(returning: head) }
    }

    /// CURLOPT_READFUNCTION for a `.buffers` body: copies the next bytes straight from the caller's buffers into
    /// curl's send buffer. Returns 0 at the end.
    func readMemoryBody(into destination: UnsafeMutableRawBufferPointer) -> Int {
        guard case .buffers(let parts) = self.request.body else { return Int(CURL_READFUNC_ABORT) }
        var written = 0
        while written < destination.count, self.memoryBodyIndex < parts.count {
            let part = parts[self.memoryBodyIndex]
            let take = min(part.readableBytes - self.memoryBodyOffset, destination.count - written)
            if take <= 0 {
                self.memoryBodyIndex += 1
                self.memoryBodyOffset = 0
                continue
            }
            part.withUnsafeReadableBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: destination[written..<(written + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[self.memoryBodyOffset..<(self.memoryBodyOffset + take)]))
            }
            written += take
            self.memoryBodyOffset += take
        }
        return written
    }

    /// CURLOPT_SEEKFUNCTION for a `.buffers` body: curl rewinds (to 0, SEEK_SET) to resend the request on another
    /// connection. False for an offset outside the body or an origin other than SEEK_SET.
    func seekMemoryBody(to offset: Int64, origin: Int32) -> Bool {
        guard case .buffers(let parts) = self.request.body, origin == SEEK_SET, offset >= 0 else { return false }
        var remaining = offset
        for (index, part) in parts.enumerated() {
            if remaining < Int64(part.readableBytes) {
                self.memoryBodyIndex = index
                self.memoryBodyOffset = Int(remaining)
                return true
            }
            remaining -= Int64(part.readableBytes)
        }
        // Exactly the end (or an empty body).
        guard remaining == 0 else { return false }
        self.memoryBodyIndex = parts.count
        self.memoryBodyOffset = 0
        return true
    }

    /// CURLOPT_READFUNCTION: copies queued request-body bytes into curl's buffer.
    func readBody(into destination: UnsafeMutableRawBufferPointer) -> Int {
        enum Action { case abort(UpstreamError?), pause, end, copied(Int, CheckedContinuation<Void, Never>?) }
        let action: Action = self.lock.withLock {
            if self.state.outcome != nil { return .abort(nil) }
            if let error = self.state.uploadError {
                return .abort(.transferFailed("the request body stream failed: \(error)"))
            }
            if self.state.upload.isEmpty {
                if self.state.uploadEnded { return .end }
                self.state.sendPaused = true
                return .pause
            }
            var written = 0
            while written < destination.count, var chunk = self.state.upload.first {
                let take = min(chunk.readableBytes, destination.count - written)
                chunk.withUnsafeReadableBytes { source in
                    UnsafeMutableRawBufferPointer(rebasing: destination[written..<(written + take)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<take]))
                }
                written += take
                chunk.moveReaderIndex(forwardBy: take)
                if chunk.readableBytes == 0 {
                    self.state.upload.removeFirst()
                } else {
                    self.state.upload[self.state.upload.startIndex] = chunk
                }
            }
            self.state.uploadBytes -= written
            var waiter: CheckedContinuation<Void, Never>?
            if self.state.uploadBytes <= Transfer.lowWatermark {
                waiter = self.state.uploadWaiter
                self.state.uploadWaiter = nil
            }
            return .copied(written, waiter)
        }
        switch action {
        case .abort(let failure):
            if let failure { self.callbackFailure = failure }
            return Int(CURL_READFUNC_ABORT)
        case .pause:
            return Int(CURL_READFUNC_PAUSE)
        case .end:
            return 0
        case .copied(let written, let waiter):
            waiter?.resume()
            return written
        }
    }

    // MARK: event thread: lifecycle

    /// Re-evaluates the pause bits after the consumer drained or the producer queued; returns the new
    /// `curl_easy_pause` bitmask if it changed.
    func takePauseMask() -> Int32? {
        self.lock.withLock {
            self.state.pauseUpdateQueued = false
            var changed = false
            if self.state.recvPaused && self.state.bufferedBytes <= Transfer.lowWatermark {
                self.state.recvPaused = false
                changed = true
            }
            let uploadReady = !self.state.upload.isEmpty || self.state.uploadEnded || self.state.uploadError != nil
            if self.state.sendPaused && uploadReady {
                self.state.sendPaused = false
                changed = true
            }
            guard changed else { return nil }
            return (self.state.recvPaused ? CURLPAUSE_RECV : 0) | (self.state.sendPaused ? CURLPAUSE_SEND : 0)
        }
    }

    /// The transfer left the multi handle on its own (success or failure): record the outcome.
    func complete(error: UpstreamError?) {
        let taken: (TakenWaiters, ResponseHead?)? = self.lock.withLock {
            guard self.state.outcome == nil else { return nil }
            self.state.outcome = error.map { .failed($0) } ?? .completed
            if self.state.bodyWaiter != nil { self.state.consumerDone = true }
            return (self.takeWaitersLocked(), self.state.head)
        }
        guard let (waiters, head) = taken else { return }
        // A head stored in this pass but not released yet still answers its waiter; the body then ends (or
        // fails) after the chunks buffered with it.
        let headResult: Result<ResponseHead, UpstreamError> = head.map { .success($0) }
            ?? .failure(error ?? .transferFailed("the upstream closed without sending a response"))
        waiters.resume(head: headResult, body: error.map { .failure($0) } ?? .success(nil))
    }

    private struct TakenWaiters {
        var head: CheckedContinuation<ResponseHead, any Error>?
        var body: CheckedContinuation<ByteBuffer?, any Error>?
        var upload: CheckedContinuation<Void, Never>?
        var uploadTask: Task<Void, Never>?

        func resume(head headResult: Result<ResponseHead, UpstreamError>, body bodyResult: Result<ByteBuffer?, UpstreamError>) {
            self.head?.resume(with: headResult.mapError { $0 as any Error })
            self.body?.resume(with: bodyResult.mapError { $0 as any Error })
            self.upload?.resume()
            self.uploadTask?.cancel()
        }
    }

    private func takeWaitersLocked() -> TakenWaiters {
        defer {
            self.state.headWaiter = nil
            self.state.bodyWaiter = nil
            self.state.uploadWaiter = nil
            self.state.uploadTask = nil
        }
        return TakenWaiters(head: self.state.headWaiter, body: self.state.bodyWaiter,
                            upload: self.state.uploadWaiter, uploadTask: self.state.uploadTask)
    }

    // MARK: helpers

    private static func decodeHeader(_ bytes: UnsafeRawBufferPointer) -> String {
        if let text = String(bytes: bytes, encoding: .utf8) { return text }
        // Not UTF-8: read it as ISO-8859-1, which maps every byte to a character.
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
