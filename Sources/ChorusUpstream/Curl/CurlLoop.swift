import CCurlShims
import CCurl
import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One `curl_multi` handle driven by one NIO event loop through `curl_multi_socket_action`: every curl call, every
/// callback and every transfer of this handle runs on that loop's thread. A request served on that loop (the
/// gateway runs its handlers there) hands its transfer over without crossing threads, the body chunks curl
/// delivers wake the handler on the same thread, and the handler writes them to the client's channel there.
///
/// Sockets are watched by `CurlSocketWatcher`'s thread, which only reports readiness; timers are tasks on the loop.
///
/// `@unchecked Sendable`: `closed` is guarded by `lock`; every other field is touched on `eventLoop` only.
final class CurlLoop: @unchecked Sendable {
    enum Command {
        case add(Transfer)
        case remove(Transfer)
        case updatePause(Transfer)
    }

    struct ReadySocket {
        var fd: Int32
        var bits: Int32
    }

    /// Easy handles kept for reuse (curl_easy_reset) so a burst does not allocate a handle per request.
    private static let poolLimit = 16

    let eventLoop: any EventLoop
    private let logger: Logger
    private let multi: CurlMulti
    private let watcher: CurlSocketWatcher
    /// This loop's tag in the watcher's epoll set.
    private let tag: UInt32
    /// Transfers in this loop's multi handle (read from any thread).
    let active = NIOLockedValueBox(0)

    private let lock = NIOLock()
    private var closed = false

    // MARK: event loop only
    private var attached: [UnsafeMutableRawPointer: Transfer] = [:]
    private var pool: [CurlEasy] = []
    /// Transfers whose head arrived during the current curl pass; their waiters wake when the pass is over.
    private var headsArrived: [Transfer] = []
    /// The sockets curl asked to watch, with what it wants (CURL_POLL_IN / OUT / INOUT).
    private var sockets: [Int32: Int32] = [:]
    /// The socket being acted on after the watcher reported it (one-shot: disarmed until re-armed), or -1.
    private var disarmedSocket: Int32 = -1
    private var timer: Scheduled<Void>?
    /// Bumped whenever curl sets or clears its timer, so a stale immediate timeout does nothing.
    private var timerGeneration = 0
    private var shutDown = false

    init(eventLoop: any EventLoop, watcher: CurlSocketWatcher, tag: UInt32, logger: Logger) throws {
        try CurlGlobal.initialize()
        self.eventLoop = eventLoop
        self.watcher = watcher
        self.tag = tag
        self.logger = logger
        self.multi = try CurlMulti()
        guard let handle = self.multi.handle else { throw UpstreamError(kind: .shutdown, message: "curl_multi_init failed") }
        // The multi handle keeps an unretained pointer: the client holds this loop until the handle is cleaned up.
        let userData = Unmanaged.passUnretained(self).toOpaque()
        let results = [
            chorus_curl_multi_setopt_socket_function(handle) { _, fd, what, user, _ in
                guard let user else { return -1 }
                Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().watch(fd, what: what)
                return 0
            },
            chorus_curl_multi_setopt_pointer(handle, CURLMOPT_SOCKETDATA, userData),
            chorus_curl_multi_setopt_timer_function(handle) { _, milliseconds, user in
                guard let user else { return -1 }
                Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().setTimer(milliseconds: milliseconds)
                return 0
            },
            chorus_curl_multi_setopt_pointer(handle, CURLMOPT_TIMERDATA, userData),
        ]
        guard results.allSatisfy({ $0 == CURLM_OK }) else {
            throw UpstreamError(kind: .shutdown, message: "curl refused the multi socket callbacks")
        }
    }

    deinit {
        // Normally already closed by shutdownOnLoop; if not (a client whose set-up failed part-way), make sure
        // curl cannot call back into this object while it cleans up.
        if let handle = self.multi.handle {
            _ = chorus_curl_multi_setopt_socket_function(handle, nil)
            _ = chorus_curl_multi_setopt_timer_function(handle, nil)
            self.multi.close()
        }
    }

    /// Queues a command for the loop. False once shut down (new transfers are refused).
    ///
    /// Always queued, even when called on the loop: the caller may be inside a curl callback, where curl must not
    /// be re-entered; on its own thread NIO queues it without a wake-up.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        let open = self.lock.withLock { !self.closed }
        guard open else {
            if case .add = command { return false }
            return true
        }
        self.eventLoop.execute { self.run(command) }
        return true
    }

    /// Aborts every transfer and frees the multi handle, on the loop; refuses new transfers from now on.
    func shutdown() async {
        self.lock.withLock { self.closed = true }
        try? await self.eventLoop.submit { self.shutdownOnLoop() }.get()
    }

    /// `shutdown()` without waiting.
    func requestShutdown() {
        self.lock.withLock { self.closed = true }
        self.eventLoop.execute { self.shutdownOnLoop() }
    }

    // MARK: event loop

    private func run(_ command: Command) {
        switch command {
        case .add(let transfer):
            if self.shutDown {
                transfer.complete(error: .shutdown())
            } else {
                self.attach(transfer)
            }
        case .remove(let transfer):
            self.detach(transfer)
        case .updatePause(let transfer):
            self.updatePause(transfer)
        }
    }

    /// The watcher saw these sockets ready (called on its thread): act on them on the loop.
    func socketsReady(_ ready: [ReadySocket]) {
        self.eventLoop.execute {
            guard !self.shutDown, let multi = self.multi.handle else { return }
            for socket in ready {
                self.disarmedSocket = socket.fd
                var running: Int32 = 0
                let code = curl_multi_socket_action(multi, socket.fd, socket.bits, &running)
                if code != CURLM_OK {
                    self.logger.debug("curl_multi_socket_action failed", metadata: ["code": "\(code.rawValue)"])
                }
                // Re-arm unless curl already did (or stopped watching it) during the action.
                if self.disarmedSocket == socket.fd, let what = self.sockets[socket.fd] {
                    self.arm(socket.fd, what: what)
                }
                self.disarmedSocket = -1
            }
            self.afterAction(multi)
        }
    }

    /// CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket.
    private func watch(_ fd: Int32, what: Int32) {
        if fd == self.disarmedSocket { self.disarmedSocket = -1 }
        if what == CURL_POLL_REMOVE {
            self.sockets.removeValue(forKey: fd)
            if chorus_watch_remove(self.watcher.epoll, fd) != 0 {
                self.logger.debug("epoll remove failed", metadata: ["errno": "\(errno)"])
            }
        } else {
            let isNew = self.sockets.updateValue(what, forKey: fd) == nil
            self.arm(fd, what: what, isNew: isNew)
        }
    }

    private func arm(_ fd: Int32, what: Int32, isNew: Bool = false) {
        if chorus_watch_arm(self.watcher.epoll, fd, what, self.tag, isNew ? 1 : 0) != 0 {
            self.logger.debug("epoll arm failed", metadata: ["errno": "\(errno)"])
        }
    }

    /// CURLMOPT_TIMERFUNCTION: curl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)` after `milliseconds`
    /// (0: as soon as possible, never from inside the callback), or no timer (-1).
    private func setTimer(milliseconds: Int) {
        self.timerGeneration &+= 1
        self.timer?.cancel()
        self.timer = nil
        guard milliseconds >= 0, !self.shutDown else { return }
        if milliseconds == 0 {
            let generation = self.timerGeneration
            self.eventLoop.execute {
                if generation == self.timerGeneration { self.timedOut() }
            }
        } else {
            self.timer = self.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { self.timedOut() }
        }
    }

    private func timedOut() {
        self.timer = nil
        self.timerGeneration &+= 1
        guard !self.shutDown, let multi = self.multi.handle else { return }
        var running: Int32 = 0
        let code = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
        if code != CURLM_OK {
            self.logger.debug("curl_multi_socket_action failed", metadata: ["code": "\(code.rawValue)"])
        }
        self.afterAction(multi)
    }

    /// Finished transfers first: a small answer then reaches its consumer as head, body and end at once.
    private func afterAction(_ multi: UnsafeMutableRawPointer) {
        self.collectFinished(multi)
        self.releaseHeads()
    }

    private func attach(_ transfer: Transfer) {
        guard !transfer.isFinished, let multi = self.multi.handle else { return }  // cancelled before it started
        let easy: CurlEasy
        do {
            easy = try self.pool.popLast() ?? CurlEasy()
        } catch {
            transfer.complete(error: error as? UpstreamError ?? .transferFailed("\(error)"))
            return
        }
        do {
            transfer.easy = easy
            try transfer.configure(easy)
        } catch {
            transfer.easy = nil
            self.recycle(easy)
            transfer.complete(error: error as? UpstreamError ?? .invalidRequest("\(error)"))
            return
        }
        let code = curl_multi_add_handle(multi, easy.handle)
        guard code == CURLM_OK else {
            transfer.easy = nil
            self.recycle(easy)
            transfer.complete(error: .transferFailed("curl_multi_add_handle failed (\(code.rawValue))"))
            return
        }
        self.attached[easy.handle] = transfer
        self.active.withLockedValue { $0 += 1 }
        if transfer.request.firstByteTimeout > 0 {
            let delay = TimeAmount.milliseconds(Int64(Transfer.milliseconds(transfer.request.firstByteTimeout)))
            transfer.firstByteTimer = self.eventLoop.scheduleTask(in: delay) { self.firstByteDeadlinePassed(transfer) }
        }
    }

    /// Takes the transfer out of the multi handle. Removing a transfer that has not completed makes curl
    /// close its HTTP/1 connection (it is never reused mid-body) and reset just the stream on HTTP/2, so the
    /// other streams of that connection go on.
    private func detach(_ transfer: Transfer) {
        guard let easy = transfer.easy, self.attached.removeValue(forKey: easy.handle) != nil else { return }
        transfer.firstByteTimer?.cancel()
        transfer.firstByteTimer = nil
        if let multi = self.multi.handle { _ = curl_multi_remove_handle(multi, easy.handle) }
        transfer.easy = nil
        self.recycle(easy)
        self.active.withLockedValue { $0 -= 1 }
    }

    /// Called from the header callback (on the loop) when a transfer's final head is complete.
    func headArrived(_ transfer: Transfer) {
        self.headsArrived.append(transfer)
    }

    private func releaseHeads() {
        guard !self.headsArrived.isEmpty else { return }
        for transfer in self.headsArrived {
            transfer.releaseHead()
        }
        self.headsArrived.removeAll(keepingCapacity: true)
    }

    /// The first-byte deadline passed: without a head, the transfer fails with `timedOut`.
    private func firstByteDeadlinePassed(_ transfer: Transfer) {
        transfer.firstByteTimer = nil
        guard transfer.easy != nil, !transfer.headDelivered else { return }
        transfer.firstByteDeadlinePassed { self.detach(transfer) }
    }

    private func updatePause(_ transfer: Transfer) {
        guard let easy = transfer.easy, let mask = transfer.takePauseMask() else { return }
        // May call the write callback right away with the bytes curl held back; curl sets a timer to go on.
        let code = curl_easy_pause(easy.handle, mask)
        if code != CURLE_OK {
            self.logger.debug("curl_easy_pause failed", metadata: ["code": "\(code.rawValue)"])
        }
        if let multi = self.multi.handle { self.afterAction(multi) }
    }

    private func collectFinished(_ multi: UnsafeMutableRawPointer) {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result  // read before remove_handle invalidates the message
            guard let transfer = self.attached[handle], let easy = transfer.easy else { continue }
            let error = transfer.error(for: code, easy: easy)
            if let error {
                self.logger.debug("upstream transfer failed", metadata: ["error": "\(error)"])
            }
            self.detach(transfer)
            transfer.complete(error: error)
        }
    }

    private func shutdownOnLoop() {
        guard !self.shutDown else { return }
        self.shutDown = true
        self.timer?.cancel()
        self.timer = nil
        for transfer in Array(self.attached.values) {
            self.detach(transfer)
            transfer.complete(error: .shutdown())
        }
        self.pool.removeAll()
        // Closes the cached connections; curl tells the socket callback to stop watching them.
        self.multi.close()
        for fd in self.sockets.keys { _ = chorus_watch_remove(self.watcher.epoll, fd) }
        self.sockets.removeAll()
    }

    private func recycle(_ easy: CurlEasy) {
        easy.reset()
        if self.pool.count < Self.poolLimit {
            self.pool.append(easy)
        }
    }
}
