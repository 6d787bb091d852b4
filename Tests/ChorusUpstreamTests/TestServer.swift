import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the test server saw it, body collected.
struct TestRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer

    var path: String { self.head.uri }
}

/// What the server counts, for assertions.
final class ServerStats: Sendable {
    private let box = NIOLockedValueBox(Counts())

    struct Counts {
        var accepted = 0
        var closed = 0
        var bytesWritten = 0
        var requests = 0
        /// The accept loop has handed every accepted connection to a handler and ended.
        var acceptLoopEnded = false
    }

    var counts: Counts { self.box.withLockedValue { $0 } }
    func update(_ body: (inout Counts) -> Void) { self.box.withLockedValue { body(&$0) } }
}

/// Writes one response; the handler decides the pace (and may hang or reset).
///
/// Every write waits until NIO handed it to the socket, so `bytesWritten` counts what the kernel accepted
/// (the NIOAsyncChannel writer would let a fast handler queue far more in NIO's pending writes).
struct ResponseWriter: Sendable {
    let channel: any Channel
    let stats: ServerStats

    private func write(_ part: HTTPServerResponsePart) async throws {
        try await self.channel.writeAndFlush(part).get()
    }

    func head(_ status: HTTPResponseStatus = .ok, _ headers: [(String, String)] = []) async throws {
        try await self.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(headers))))
    }

    func body(_ buffer: ByteBuffer) async throws {
        let count = buffer.readableBytes
        try await self.write(.body(.byteBuffer(buffer)))
        self.stats.update { $0.bytesWritten += count }
    }

    func body(_ text: String) async throws {
        try await self.body(ByteBuffer(string: text))
    }

    func end() async throws {
        try await self.write(.end(nil))
    }

    /// A complete response with a Content-Length.
    func respond(_ status: HTTPResponseStatus = .ok, headers: [(String, String)] = [], body: ByteBuffer) async throws {
        try await self.head(status, headers + [("Content-Length", "\(body.readableBytes)")])
        if body.readableBytes > 0 { try await self.body(body) }
        try await self.end()
    }

    /// A complete response with a Content-Length, head, body and end flushed together (one segment on loopback).
    func respondAtOnce(body: ByteBuffer) async throws {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: HTTPHeaders([("Content-Length", "\(body.readableBytes)")]))
        self.channel.write(HTTPServerResponsePart.head(head), promise: nil)
        self.channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
        try await self.channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        self.stats.update { $0.bytesWritten += body.readableBytes }
    }

    /// Closes the connection with a TCP RST (SO_LINGER 0) instead of a FIN.
    func reset() async throws {
        if let provider = self.channel as? any SocketOptionProvider {
            try await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try await self.channel.close()
    }

    /// Sleeps until the server stops (or the test gives up): a server that never answers.
    func hang() async throws {
        try await Task.sleep(for: .seconds(30))
    }
}

/// An HTTP/1.1 server on 127.0.0.1, port 0, in process. Keep-alive works; every request goes to `handler`.
final class TestServer: Sendable {
    typealias Handler = @Sendable (TestRequest, ResponseWriter) async throws -> Void

    let port: Int
    let stats: ServerStats
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let task: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(self.port)" }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    static func start(_ handler: @escaping Handler) async throws -> TestServer {
        let stats = ServerStats()
        let unserved = UnservedConnections()
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                stats.update { $0.accepted += 1 }
                channel.closeFuture.whenComplete { _ in stats.update { $0.closed += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    let connection = try Connection(wrappingChannelSynchronously: channel)
                    unserved.add(connection)
                    return connection
                }
            }
        let port = serverChannel.channel.localAddress?.port ?? 0
        let task = Task {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        unserved.remove(connection)
                        group.addTask {
                            try? await Self.serve(connection, stats: stats, handler: handler)
                        }
                    }
                }
                stats.update { $0.acceptLoopEnded = true }
            }
        }
        return TestServer(port: port, stats: stats, serverChannel: serverChannel, task: task, unserved: unserved)
    }

    private let unserved: UnservedConnections

    private init(port: Int, stats: ServerStats,
                 serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
                 task: Task<Void, any Error>, unserved: UnservedConnections) {
        self.port = port
        self.stats = stats
        self.serverChannel = serverChannel
        self.task = task
        self.unserved = unserved
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              stats: ServerStats, handler: Handler) async throws {
        try await connection.executeThenClose { inbound, _ in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    stats.update { $0.requests += 1 }
                    let writer = ResponseWriter(channel: connection.channel, stats: stats)
                    try await handler(TestRequest(head: requestHead, body: body), writer)
                    head = nil
                }
            }
        }
    }

    /// Closes the listening socket, lets the accept loop hand out the connections it still holds, cancels the
    /// handlers, then closes every connection that was accepted but never reached a handler.
    ///
    /// A NIOAsyncChannel dropped without `executeThenClose` traps ("Deinited NIOAsyncWriter without calling
    /// finish()", swift-nio #2637/#3481). A connection accepted while the server stops (curl's cancelled connects
    /// land in the listen backlog) never reaches the accept loop; seen in
    /// `cancellingManyTransfersAtRandomPointsLeavesNothingBehind` under ASan. `UnservedConnections` keeps each one
    /// alive until it is closed properly here.
    func stop() async {
        try? await self.serverChannel.channel.close()
        _ = await eventually(within: 5) { self.stats.counts.acceptLoopEnded }
        self.task.cancel()
        _ = try? await self.task.value
        for connection in unserved.takeAll() {
            try? await connection.executeThenClose { _, _ in }
        }
    }
}

/// Connections the listener accepted that no handler has taken yet, by channel.
final class UnservedConnections: Sendable {
    private let box = NIOLockedValueBox([ObjectIdentifier: TestServer.Connection]())

    func add(_ connection: TestServer.Connection) {
        box.withLockedValue { $0[ObjectIdentifier(connection.channel)] = connection }
    }

    func remove(_ connection: TestServer.Connection) {
        _ = box.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    func takeAll() -> [TestServer.Connection] {
        box.withLockedValue { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
    }
}

/// Waits until `condition` holds, polling every 10 ms; false if it did not within `seconds`.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
