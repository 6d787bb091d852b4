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
/// the curl loop, plus the loop-only parts that curl's callbacks use.
///
/// What happens next is decided by `StateMachine` (Transfer+StateMachine.swift); this class owns the lock, the
/// continuations and the curl side, and carries out the machine's actions.
///
/// `@unchecked Sendable`: `state` is only touched under `lock`; the fields under "event loop only" are only
/// touched on the event loop of the transfer's `CurlLoop` (in curl callbacks and in `CurlLoop`), which is what
/// makes them safe.
final class Transfer: @unchecked Sendable {
    /// Above this many buffered body bytes the write callback pauses the transfer.
    static let highWatermark = 256 * 1024
    /// The consumer unpauses the transfer once it drained the buffer to this.
    static let lowWatermark = 64 * 1024

    private static let allocator = ByteBufferAllocator()

    let request: UpstreamRequest
    private let loop: CurlLoop
    private let lock = NIOLock()
    private var state = Machine(highWatermark: Transfer.highWatermark, lowWatermark: Transfer.lowWatermark)

    // MARK: event loop only
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
    /// The final head went through the header callback (trailers are ignored from here on).
    private(set) var headDelivered = false
    /// Fails the transfer unless its head is in (`UpstreamRequest.firstByteTimeout`); set when it is attached.
    var firstByteTimer: Scheduled<Void>?
    private var parsingStatus: Int?
    private var parsingHeaders: [(String, String)] = []

    typealias Machine = StateMachine<CheckedContinuation<ResponseHead, any Error>,
                                     CheckedContinuation<ByteBuffer?, any Error>,
                                     CheckedContinuation<Void, Never>,
                                     Task<Void, Never>>

    struct Stats: Sendable {
        var pauseCount: Int
        var maxBufferedBytes: Int
    }

    init(request: UpstreamRequest, loop: CurlLoop) {
        self.request = request
        self.loop = loop
    }

    /// How often the body was paused for backpressure and the most it buffered (for tests and diagnostics).
    var stats: Stats {
        self.lock.withLock { Stats(pauseCount: self.state.pauseCount, maxBufferedBytes: self.state.maxBufferedBytes) }
    }

    var isFinished: Bool {
        self.lock.withLock { self.state.isFinished }
    }

    // MARK: consumer side

    func waitForHead() async throws -> ResponseHead {
        // Already in (or already failed): taken without a continuation and a cancellation handler, each of which
        // costs an allocation and the task's status lock. A cancelled task takes the waiting path, which cancels.
        if !Task.isCancelled {
            switch self.lock.withLock({ self.state.headRequested(nil) }) {
            case .succeed(let head): return head
            case .fail(let error): throw error
            case .wait: break
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ResponseHead, any Error>) in
                switch self.lock.withLock({ self.state.headRequested(continuation) }) {
                case .succeed(let head): continuation.resume(returning: head)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.cancel(.cancelled("the request was cancelled while waiting for the response"))
        }
    }

    func nextChunk() async throws -> ByteBuffer? {
        // A chunk already buffered (a small answer arrives whole with its head, a stream's events in bursts), the
        // end or an error: taken without suspending, as for the head.
        if !Task.isCancelled {
            switch self.lock.withLock({ self.state.bodyRequested(nil) }) {
            case .deliver(let chunk, let updatePause):
                if updatePause { self.loop.submit(.updatePause(self)) }
                return chunk
            case .end: return nil
            case .fail(let error): throw error
            case .wait: break
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                switch self.lock.withLock({ self.state.bodyRequested(continuation) }) {
                case .deliver(let chunk, let updatePause):
                    if updatePause { self.loop.submit(.updatePause(self)) }
                    continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .fail(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.cancel(.cancelled("the task reading the response body was cancelled"))
        }
    }

    /// Aborts the transfer (no-op once the consumer saw its end). The curl loop removes it from the multi
    /// handle at its next turn; waiters throw `error` now.
    func cancel(_ error: UpstreamError) {
        switch self.lock.withLock({ self.state.cancelRequested(error) }) {
        case .none:
            return
        case .abort(let waiters, let error, let removeTransfer):
            if removeTransfer { self.loop.submit(.remove(self)) }
            Self.resume(waiters, head: .failure(error), body: .failure(error))
        }
    }

    // MARK: request body (upload) side

    /// Feeds `stream` to the read callback. Owned by the transfer: cancelled when the transfer ends.
    func startUpload(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) {
        let task = Task { await self.pumpUpload(stream) }
        switch self.lock.withLock({ self.state.uploadStarted(task) }) {
        case .cancelTask: task.cancel()
        case .keep: break
        }
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
        switch self.lock.withLock({ self.state.uploadChunkProduced(chunk) }) {
        case .stop:
            return false
        case .queued(let updatePause, let wait):
            if updatePause { self.loop.submit(.updatePause(self)) }
            if wait {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    switch self.lock.withLock({ self.state.uploadWaitRequested(continuation) }) {
                    case .resume: continuation.resume()
                    case .wait: break
                    }
                }
            }
            return !self.isFinished
        }
    }

    private func endUpload(error: (any Error)?) {
        let updatePause = self.lock.withLock { self.state.uploadFinished(error: error) }
        if updatePause { self.loop.submit(.updatePause(self)) }
    }

    // MARK: curl loop: curl callbacks

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
        switch self.lock.withLock({ self.state.bodyReceived(chunk) }) {
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

    /// CURLOPT_HEADERFUNCTION: one header line per call, for every response including 1xx ones. Read on the bytes:
    /// Character-level splitting and trimming of each line cost ~9,000 instructions a line (bench/PROFILE.md).
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        guard !self.headDelivered else { return count }  // trailers
        var end = count
        while end > 0, bytes[end - 1] == 0x0d || bytes[end - 1] == 0x0a { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])

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
        if line.starts(with: Self.httpPrefix) {
            guard let status = Self.statusCode(line) ?? self.easy?.info(CURLINFO_RESPONSE_CODE), (100...999).contains(status) else {
                self.callbackFailure = .transferFailed("malformed status line from upstream")
                return 0
            }
            self.parsingStatus = status
            self.parsingHeaders = []
            return count
        }
        // Not UTF-8: the line is read as ISO-8859-1, which maps every byte to a character.
        let utf8 = line.allSatisfy { $0 < 0x80 } || String(validating: line, as: UTF8.self) != nil
        if line[0] == 0x20 || line[0] == 0x09 {
            // obs-fold: a continuation of the previous header's value.
            if let lastIndex = self.parsingHeaders.indices.last {
                self.parsingHeaders[lastIndex].1 += " " + Self.text(Self.trimmed(line), utf8: utf8)
            }
            return count
        }
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
            self.parsingHeaders.append((Self.text(name, utf8: utf8), Self.text(value, utf8: utf8)))
        }
        return count
    }

    private static let httpPrefix = Array("HTTP/".utf8)

    /// The second space-separated field of a status line, as a number.
    private static func statusCode(_ line: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while index < line.count, line[index] != 0x20 { index += 1 }
        while index < line.count, line[index] == 0x20 { index += 1 }
        let start = index
        while index < line.count, line[index] != 0x20 { index += 1 }
        guard index > start, index - start <= 9 else { return nil }
        var value = 0
        for byte in line[start..<index] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Keeps the head for the consumer without waking it: the event loop calls `releaseHead()` once curl's
    /// current pass is over, so a small answer whose body and end came in the same read wakes the consumer once
    /// with everything, instead of once for the head and again for the body.
    private func storeHead(_ head: ResponseHead) {
        self.lock.withLock { self.state.headReceived(head) }
        self.loop.headArrived(self)
    }

    /// Wakes the task waiting for the head, if one is waiting. Event thread, after the curl pass that stored it.
    func releaseHead() {
        if let (waiter, head) = self.lock.withLock({ self.state.headReleased() }) { waiter.resume(returning: head) }
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
        switch self.lock.withLock({ self.state.uploadRead(into: destination) }) {
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

    // MARK: curl loop: lifecycle

    /// Re-evaluates the pause bits after the consumer drained or the producer queued; returns the new
    /// `curl_easy_pause` bitmask if it changed.
    func takePauseMask() -> Int32? {
        guard let bits = self.lock.withLock({ self.state.pauseUpdateRan() }) else { return nil }
        return (bits.receive ? CURLPAUSE_RECV : 0) | (bits.send ? CURLPAUSE_SEND : 0)
    }

    /// The first-byte deadline passed. Without a head, the transfer fails with `timedOut`: `detach` takes it out
    /// of the multi handle (curl closes the connection) before the waiters hear of it.
    func firstByteDeadlinePassed(detach: () -> Void) {
        let error = UpstreamError(kind: .timedOut,
                                  message: "no response headers within \(String(format: "%g", self.request.firstByteTimeout)) s")
        switch self.lock.withLock({ self.state.firstByteTimeoutExpired(error) }) {
        case .none:
            return
        case .abort(let waiters, let error):
            detach()
            Self.resume(waiters, head: .failure(error), body: .failure(error))
        }
    }

    /// The transfer left the multi handle on its own (success or failure): record the outcome.
    func complete(error: UpstreamError?) {
        switch self.lock.withLock({ self.state.finished(error: error) }) {
        case .none:
            return
        case .resume(let waiters, let head, let body):
            Self.resume(waiters, head: head, body: body)
        }
    }

    private static func resume(_ waiters: Machine.Waiters, head: Result<ResponseHead, UpstreamError>,
                               body: Result<ByteBuffer?, UpstreamError>) {
        waiters.head?.resume(with: head.mapError { $0 as any Error })
        waiters.body?.resume(with: body.mapError { $0 as any Error })
        waiters.upload?.resume()
        waiters.uploadTask?.cancel()
    }

    // MARK: helpers

    private static func text(_ bytes: UnsafeRawBufferPointer, utf8: Bool) -> String {
        if utf8 { return String(decoding: bytes, as: UTF8.self) }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }
}
