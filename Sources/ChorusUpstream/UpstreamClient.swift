public import Logging

/// An async HTTP client over libcurl's multi interface: one event thread drives every transfer.
///
/// `execute` returns when the status line and headers are in (redirects are not followed); the body then
/// streams as curl hands it over, with backpressure. Call `shutdown()` when done; dropping the client also
/// stops its thread, without waiting.
public final class UpstreamClient: Sendable {
    private let loop: CurlEventLoop

    public init(logger: Logger = Logger(label: "chorus.upstream")) throws {
        self.loop = try CurlEventLoop(logger: logger)
        self.loop.start()
    }

    deinit {
        self.loop.requestShutdown()
    }

    /// Sends the request and waits for the response head. Throws `UpstreamError` (also for cancellation).
    public func execute(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        if Task.isCancelled {
            throw UpstreamError.cancelled("the request was cancelled before it started")
        }
        let transfer = Transfer(request: request, loop: self.loop)
        guard self.loop.submit(.add(transfer)) else {
            throw UpstreamError.shutdown()
        }
        if case .stream(let stream, _) = request.body {
            transfer.startUpload(stream)
        }
        let head = try await transfer.waitForHead()
        return UpstreamResponse(status: head.status, headers: head.headers, body: UpstreamResponseBody(transfer: transfer))
    }

    /// Transfers currently in the multi handle.
    public var activeTransfers: Int {
        self.loop.activeTransfers
    }

    /// Aborts open transfers (they throw `shutdown`), stops and joins the event thread. Idempotent.
    public func shutdown() async {
        await self.loop.shutdown()
    }
}
