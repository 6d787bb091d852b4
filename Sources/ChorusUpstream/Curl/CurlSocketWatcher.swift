import CCurlShims
import CThreadShims
import Foundation
import NIOConcurrencyHelpers

/// The one thread that waits for curl's sockets to become ready and hands each ready socket to the event loop of
/// the `CurlLoop` that owns it. It never reads, writes or calls curl: the owner does that on its own event loop,
/// where the request's channel lives, so the bytes of a request cross no thread.
///
/// NIO gives no public way to add a foreign file descriptor to an event loop's selector, hence this thread: one
/// epoll set for all sockets, each armed one-shot so that a socket reported once stays quiet until its owner has
/// acted on it and re-armed it (`CurlLoop.socketsReady`).
///
/// `@unchecked Sendable`: `owners` is written once before the thread starts and only read afterwards; the exit
/// state is guarded by `lock`.
final class CurlSocketWatcher: @unchecked Sendable {
    /// The tag of the shutdown eventfd's events (owners are tagged 0, 1, 2…).
    private static let wakerTag = UInt32.max
    private static let capacity: Int32 = 64

    /// The epoll set; owners arm and remove their sockets on it from their own event loops.
    let epoll: Int32
    private let waker: Int32
    private var owners: [CurlLoop] = []

    private let lock = NIOLock()
    private var stopRequested = false
    private var exited = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    init() throws {
        let epoll = chorus_watch_create()
        guard epoll >= 0 else { throw UpstreamError(kind: .shutdown, message: "epoll_create1 failed (errno \(errno))") }
        let waker = chorus_watch_add_waker(epoll, Self.wakerTag)
        guard waker >= 0 else {
            close(epoll)
            throw UpstreamError(kind: .shutdown, message: "eventfd failed (errno \(errno))")
        }
        self.epoll = epoll
        self.waker = waker
    }

    deinit {
        close(self.waker)
        close(self.epoll)
    }

    /// Starts the thread; `owners[i]` gets the events armed with tag `i`.
    func start(owners: [CurlLoop]) {
        self.owners = owners
        let thread = Thread { [self] in
            // A Linux thread inherits its creator's name: name it here (at most 15 characters on Linux).
            Thread.current.name = "chorus.upstream"
            chorus_set_thread_name("chorus.upstream")
            self.run()
        }
        thread.start()
    }

    /// Asks the thread to stop, without waiting.
    func requestStop() {
        let wake: Bool = self.lock.withLock {
            defer { self.stopRequested = true }
            return !self.stopRequested && !self.exited
        }
        if wake { _ = chorus_watch_wake(self.waker) }
    }

    /// Asks the thread to stop and waits until it has.
    func stop() async {
        self.requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = self.lock.withLock {
                if self.exited { return true }
                self.exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func run() {
        var fds = [Int32](repeating: 0, count: Int(Self.capacity))
        var bits = [Int32](repeating: 0, count: Int(Self.capacity))
        var tags = [UInt32](repeating: 0, count: Int(Self.capacity))
        var batches = [[CurlLoop.ReadySocket]](repeating: [], count: self.owners.count)
        var running = true
        while running {
            let count = chorus_watch_wait(self.epoll, &fds, &bits, &tags, Self.capacity, -1)
            if count < 0 {
                usleep(10_000)  // never spin on a broken epoll set
                continue
            }
            for index in 0..<Int(count) {
                let tag = tags[index]
                if tag == Self.wakerTag {
                    running = false
                } else if Int(tag) < batches.count {
                    batches[Int(tag)].append(CurlLoop.ReadySocket(fd: fds[index], bits: bits[index]))
                }
            }
            // One hand-off per event loop per wake, however many of its sockets are ready.
            for owner in batches.indices where !batches[owner].isEmpty {
                self.owners[owner].socketsReady(batches[owner])
                batches[owner].removeAll(keepingCapacity: true)
            }
        }
        let waiters: [CheckedContinuation<Void, Never>] = self.lock.withLock {
            self.exited = true
            // The owners hold this watcher (its epoll set); dropping them here ends that cycle.
            self.owners = []
            defer { self.exitWaiters.removeAll() }
            return self.exitWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
