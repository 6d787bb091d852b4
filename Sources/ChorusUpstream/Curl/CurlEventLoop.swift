import CCurlShims
import CThreadShims
import CCurl
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The one thread that drives the `curl_multi` handle. Other threads only queue commands and call
/// `curl_multi_wakeup`; every other curl call happens on this thread.
///
/// `@unchecked Sendable`: the queue fields are guarded by `lock`; the fields under "event thread only" are
/// only touched by `run()` on the event thread.
final class CurlEventLoop: @unchecked Sendable {
    enum Command {
        case add(Transfer)
        case remove(Transfer)
        case updatePause(Transfer)
        case shutdown
    }

    /// Easy handles kept for reuse (curl_easy_reset) so a burst does not allocate a handle per request.
    private static let poolLimit = 16
    /// How long curl_multi_poll sleeps at most when curl has no earlier timeout of its own.
    private static let pollIntervalMilliseconds: Int32 = 1000

    private let logger: Logger
    private let multi: CurlMulti

    private let lock = NIOLock()
    private var commands: [Command] = []
    private var shutdownRequested = false
    /// Set by the event thread just before it frees the multi handle: no more wakeups after this.
    private var closed = false
    private var exited = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var active = 0

    // MARK: event thread only
    private var attached: [UnsafeMutableRawPointer: Transfer] = [:]
    private var pool: [CurlEasy] = []
    /// Transfers whose head arrived during the current curl pass; their waiters wake when the pass is over.
    private var headsArrived: [Transfer] = []
    /// Transfers with a first-byte deadline whose head has not arrived yet (as far as the last check knows).
    private var awaitingHead: [Transfer] = []

    init(logger: Logger) throws {
        try CurlGlobal.initialize()
        self.logger = logger
        self.multi = try CurlMulti()
    }

    func start() {
        let thread = Thread { [self] in
            // A Linux thread inherits its creator's name: name it here (at most 15 characters on Linux).
            // Foundation's setter alone does not always reach the OS thread when the body runs before
            // `start()` has recorded the pthread, so set the OS name directly as well.
            Thread.current.name = "chorus.upstream"
            chorus_set_thread_name("chorus.upstream")
            self.run()
        }
        thread.start()
    }

    /// Transfers currently in the multi handle.
    var activeTransfers: Int {
        self.lock.withLock { self.active }
    }

    /// Queues a command for the event thread and wakes it. False once shut down (new transfers are refused).
    @discardableResult
    func submit(_ command: Command) -> Bool {
        self.lock.withLock {
            if self.closed { return false }
            if self.shutdownRequested, case .add = command { return false }
            let wasEmpty = self.commands.isEmpty
            self.commands.append(command)
            // Under the lock, so the thread cannot free the multi handle in between. A non-empty queue means
            // a wakeup is already pending and the thread will see this command when it drains the queue.
            if wasEmpty { self.multi.wakeup() }
            return true
        }
    }

    /// Asks the thread to abort everything and stop, without waiting.
    func requestShutdown() {
        self.lock.withLock {
            guard !self.shutdownRequested, !self.closed else { return }
            self.shutdownRequested = true
            self.commands.append(.shutdown)
            self.multi.wakeup()
        }
    }

    /// Asks the thread to stop and waits until it has freed the multi handle.
    func shutdown() async {
        self.requestShutdown()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = self.lock.withLock {
                if self.exited { return true }
                self.exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: event thread

    private func run() {
        guard let multi = self.multi.handle else { return }
        self.logger.debug("curl event thread started", metadata: ["chorus.upstream.curl": "\(Self.versionText)"])
        var running = true
        while running {
            let batch: [Command] = self.lock.withLock {
                defer { self.commands.removeAll(keepingCapacity: true) }
                return self.commands
            }
            for command in batch {
                switch command {
                case .add(let transfer): self.attach(transfer, to: multi)
                case .remove(let transfer): self.detach(transfer, from: multi)
                case .updatePause(let transfer): self.updatePause(transfer)
                case .shutdown: running = false
                }
            }
            guard running else { break }

            var stillRunning: Int32 = 0
            let performCode = curl_multi_perform(multi, &stillRunning)
            if performCode != CURLM_OK {
                self.logger.error("curl_multi_perform failed", metadata: ["code": "\(performCode.rawValue)"])
            }
            // Finished transfers first: a small answer then reaches its consumer as head, body and end at once.
            self.collectFinished(multi)
            self.releaseHeads()
            let nextDeadline = self.expireFirstByteDeadlines(multi)

            let pollCode = curl_multi_poll(multi, nil, 0, Self.pollTimeout(until: nextDeadline), nil)
            if pollCode != CURLM_OK {
                self.logger.error("curl_multi_poll failed", metadata: ["code": "\(pollCode.rawValue)"])
                usleep(10_000)  // never spin
            }
        }

        // Shut down: abort what is in flight, refuse what is queued, free everything on this thread.
        self.awaitingHead.removeAll()
        for transfer in Array(self.attached.values) {
            self.detach(transfer, from: multi)
            transfer.complete(error: .shutdown())
        }
        let leftover: [Command] = self.lock.withLock {
            self.closed = true
            defer { self.commands.removeAll() }
            return self.commands
        }
        for case .add(let transfer) in leftover {
            transfer.complete(error: .shutdown())
        }
        self.pool.removeAll()
        self.multi.close()
        let waiters: [CheckedContinuation<Void, Never>] = self.lock.withLock {
            self.exited = true
            defer { self.exitWaiters.removeAll() }
            return self.exitWaiters
        }
        self.logger.debug("curl event thread stopped")
        for waiter in waiters { waiter.resume() }
    }

    private func attach(_ transfer: Transfer, to multi: UnsafeMutableRawPointer) {
        guard !transfer.isFinished else { return }  // cancelled before it started
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
        self.lock.withLock { self.active += 1 }
        if transfer.request.firstByteTimeout > 0 {
            transfer.firstByteDeadline = .now() + .milliseconds(Int64(Transfer.milliseconds(transfer.request.firstByteTimeout)))
            self.awaitingHead.append(transfer)
        }
    }

    /// Takes the transfer out of the multi handle. Removing a transfer that has not completed makes curl
    /// close its HTTP/1 connection (it is never reused mid-body) and reset just the stream on HTTP/2, so the
    /// other streams of that connection go on.
    private func detach(_ transfer: Transfer, from multi: UnsafeMutableRawPointer) {
        guard let easy = transfer.easy, self.attached.removeValue(forKey: easy.handle) != nil else { return }
        _ = curl_multi_remove_handle(multi, easy.handle)
        transfer.easy = nil
        self.recycle(easy)
        self.lock.withLock { self.active -= 1 }
    }

    /// Called from the header callback (event thread) when a transfer's final head is complete.
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

    /// Fails the transfers whose first-byte deadline passed without a head, and forgets those that got their head
    /// or left the multi handle (so a finished transfer and its request body are not kept until its deadline).
    /// Returns the earliest deadline still pending, for the next poll.
    private func expireFirstByteDeadlines(_ multi: UnsafeMutableRawPointer) -> NIODeadline? {
        guard !self.awaitingHead.isEmpty else { return nil }
        let now = NIODeadline.now()
        var next: NIODeadline?
        var pending: [Transfer] = []
        for transfer in self.awaitingHead where transfer.easy != nil && !transfer.headDelivered {
            guard let deadline = transfer.firstByteDeadline else { continue }
            if deadline <= now {
                transfer.firstByteDeadlinePassed { self.detach(transfer, from: multi) }
            } else {
                pending.append(transfer)
                next = min(next ?? deadline, deadline)
            }
        }
        self.awaitingHead = pending
        return next
    }

    /// How long curl_multi_poll may sleep: the usual interval, or less when a first-byte deadline comes sooner
    /// (curl shortens it further for its own timers).
    private static func pollTimeout(until deadline: NIODeadline?) -> Int32 {
        guard let deadline else { return Self.pollIntervalMilliseconds }
        let nanoseconds = (deadline - .now()).nanoseconds
        guard nanoseconds > 0 else { return 0 }
        // Rounded up: waking a little early would only spin through another pass before the deadline.
        let milliseconds = (nanoseconds + 999_999) / 1_000_000
        return Int32(min(milliseconds, Int64(Self.pollIntervalMilliseconds)))
    }

    private func updatePause(_ transfer: Transfer) {
        guard let easy = transfer.easy, let mask = transfer.takePauseMask() else { return }
        // May call the write callback right away with the bytes curl held back.
        let code = curl_easy_pause(easy.handle, mask)
        if code != CURLE_OK {
            self.logger.debug("curl_easy_pause failed", metadata: ["code": "\(code.rawValue)"])
        }
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
            self.detach(transfer, from: multi)
            transfer.complete(error: error)
        }
    }

    private func recycle(_ easy: CurlEasy) {
        easy.reset()
        if self.pool.count < Self.poolLimit {
            self.pool.append(easy)
        }
    }

    private static var versionText: String {
        guard let version = curl_version() else { return "unknown" }
        return String(cString: version)
    }
}
