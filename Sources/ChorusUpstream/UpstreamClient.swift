public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// An async HTTP client over libcurl's multi interface, driven from NIO's event loops: one `curl_multi` handle per
/// event loop of `eventLoopGroup`, each run on its loop (`CurlLoop`), and one thread that only watches their
/// sockets (`CurlSocketWatcher`).
///
/// A request made on one of the group's event loops (the gateway's handlers run there) is carried out on that same
/// loop: the transfer, curl's callbacks and the wake-up of the waiting task stay on one thread. A request made
/// elsewhere (a test, a background task) goes to the group's first loop, so those share one connection cache.
///
/// `execute` returns when the status line and headers are in (redirects are not followed); the body then
/// streams as curl hands it over, with backpressure. Call `shutdown()` when done; dropping the client also
/// stops it, without waiting.
public final class UpstreamClient: Sendable {
    private let loops: [CurlLoop]
    private let watcher: CurlSocketWatcher

    public init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "chorus.upstream")) throws {
        let watcher = try CurlSocketWatcher()
        var loops: [CurlLoop] = []
        for eventLoop in eventLoopGroup.makeIterator() {
            loops.append(try CurlLoop(eventLoop: eventLoop, watcher: watcher, tag: UInt32(loops.count), logger: logger))
        }
        guard !loops.isEmpty else { throw UpstreamError(kind: .shutdown, message: "the event loop group has no loops") }
        self.loops = loops
        self.watcher = watcher
        watcher.start(owners: loops)
    }

    deinit {
        for loop in self.loops { loop.requestShutdown() }
        self.watcher.requestStop()
    }

    /// Sends the request and waits for the response head. Throws `UpstreamError` (also for cancellation).
    public func execute(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        if Task.isCancelled {
            throw UpstreamError.cancelled("the request was cancelled before it started")
        }
        let loop = self.currentLoop()
        let transfer = Transfer(request: request, loop: loop)
        guard loop.submit(.add(transfer)) else {
            throw UpstreamError.shutdown()
        }
        if case .stream(let stream, _) = request.body {
            transfer.startUpload(stream)
        }
        let head = try await transfer.waitForHead()
        return UpstreamResponse(status: head.status, headers: head.headers, body: UpstreamResponseBody(transfer: transfer))
    }

    /// The loop of the calling thread, or the first one.
    private func currentLoop() -> CurlLoop {
        for loop in self.loops where loop.eventLoop.inEventLoop { return loop }
        return self.loops[0]
    }

    /// Transfers currently in the multi handles.
    public var activeTransfers: Int {
        self.loops.reduce(0) { $0 + $1.active.withLockedValue { $0 } }
    }

    /// Transfers currently driven by `eventLoop` (for tests and diagnostics).
    public func activeTransfers(on eventLoop: any EventLoop) -> Int {
        self.loops.first { $0.eventLoop === eventLoop }?.active.withLockedValue { $0 } ?? 0
    }

    /// Aborts open transfers (they throw `shutdown`), frees the multi handles and stops the watcher. Idempotent.
    public func shutdown() async {
        for loop in self.loops { await loop.shutdown() }
        await self.watcher.stop()
    }
}
