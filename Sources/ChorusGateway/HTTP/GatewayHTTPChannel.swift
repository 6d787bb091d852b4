import ChorusUpstream
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import ServiceLifecycle

/// Hummingbird's HTTP/1.1 server with what it does not have itself: a guard on every connection (time limits,
/// the connection cap, hang-up notice: `ConnectionGuard`), a bounded shutdown, and the upgrade of a connection's
/// first request to a WebSocket for the gateway's WebSocket route (`/v1/realtime`).
///
/// Hummingbird's graceful shutdown stops accepting at once, closes idle connections, and then waits for every
/// connection still serving — without limit: one stalled upload kept the process alive indefinitely. Here each
/// connection's request loop runs beside a watch that, `server.shutdown_grace_seconds` after the shutdown began,
/// writes the usage rows of what is still running as cancelled (503), has the guard answer a caller still waiting
/// with 503 `server_shutting_down` (or cut a response already started), and cancels the loop's task.
struct GatewayHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    /// What the connection turned out to be once its first request head was read.
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade the endpoint refused: answered over HTTP, then closed.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, RefusedUpgrade)
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, WebSocketSession)
    }

    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let negotiated: EventLoopFuture<Negotiated>
        let connection: ClientConnection
        let guardHandler: NIOLoopBound<ConnectionGuard>
    }

    let responder: HTTPChannelHandler.Responder
    let connections: ServerConnections
    /// The WebSocket route, if the gateway has one; without it the pipeline is Hummingbird's plain HTTP/1.1 one.
    var webSocket: (any WebSocketEndpoint)?

    /// Upper bound for one WebSocket frame: OpenAI's realtime events go up to 15 MiB.
    static let maxWebSocketFrame = 16 << 20

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connection = ClientConnection()
        let guardHandler = ConnectionGuard(connections: connections, connection: connection)
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard.ByteTap(guardHandler), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let guardOnLoop = NIOLoopBound(guardHandler, eventLoop: channel.eventLoop)
        guard let webSocket else {
            // Hummingbird builds the rest (codec, its connection state handler, the async channel) and places the
            // guard between the codec and its request loop; it asks for the handlers right here, on this event loop.
            let http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [guardOnLoop.value]))
            return http1.setup(channel: channel, logger: logger).map {
                Value(channel: channel, negotiated: channel.eventLoop.makeSucceededFuture(.http($0)), connection: connection,
                      guardHandler: guardOnLoop)
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            let negotiated = try Self.upgradablePipeline(channel: channel, endpoint: webSocket, guardHandler: guardHandler, logger: logger)
            return Value(channel: channel, negotiated: negotiated, connection: connection, guardHandler: guardOnLoop)
        }
    }

    /// Hummingbird's HTTP/1.1 pipeline (same decoder limits, no pipelining helper, no NIO error handler) with NIO's
    /// upgrade handler in front of the codec: it holds the first request until the endpoint decided. The codec, the
    /// guard and Hummingbird's connection state handler are in place from the start, so the guard times and counts
    /// the connection before any request is read; an accepted upgrade takes them out before the WebSocket codec goes in.
    private static func upgradablePipeline(channel: any Channel, endpoint: any WebSocketEndpoint, guardHandler: ConnectionGuard,
                                           logger: Logger) throws -> EventLoopFuture<Negotiated> {
        let codec = HTTP1ToHTTPServerCodec(secure: false)
        let stateHandler = HTTPConnectionStateHandler(idleTimeout: nil, logger: logger)
        let loop = channel.eventLoop
        let httpHandlers = NIOLoopBound((codec, guardHandler, stateHandler), eventLoop: loop)
        let refusal = NIOLoopBoundBox<RefusedUpgrade?>(nil, eventLoop: loop)
        let session = NIOLoopBoundBox<WebSocketSession?>(nil, eventLoop: loop)

        let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
            maxFrameSize: maxWebSocketFrame,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
                guard endpoint.serves(path: path), let request = try? HTTPRequest(head, secure: false, splitCookie: false) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                promise.completeWithTask {
                    switch await endpoint.admit(request, channel: channel, logger: logger) {
                    case .accept(let headers, let run):
                        try await loop.submit {
                            let (codec, guardHandler, stateHandler) = httpHandlers.value
                            let pipeline = channel.pipeline.syncOperations
                            try pipeline.removeHandler(stateHandler)
                            try pipeline.removeHandler(guardHandler)
                            try pipeline.removeHandler(codec)
                            guardHandler.handOver(channel: channel)
                            session.value = run
                        }.get()
                        return HTTPHeaders(headers)
                    case .refuse(let refused):
                        try await loop.submit { refusal.value = refused }.get()
                        return nil
                    }
                }
                return promise.futureResult
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    guard let run = session.value else { throw ChannelError.inappropriateOperationForState }
                    return .webSocket(asyncChannel, run)
                }
            })

        var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
            upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    if let refused = refusal.value { return .refused(asyncChannel, refused) }
                    return .http(asyncChannel)
                }
            }))
        configuration.enablePipelining = false
        configuration.enableErrorHandling = false
        configuration.enableResponseHeaderValidation = false
        // Hummingbird's decoder limits (HTTP1Channel.Configuration's defaults).
        let limits = HTTP1Channel.Configuration.DecoderConfiguration()
        configuration.decoderConfiguration.maxHeaderFieldSize = limits.maxHeaderFieldSize
        configuration.decoderConfiguration.maxHeaderListSize = limits.maxHeaderListSize
        configuration.decoderConfiguration.maxHeaderFieldCount = limits.maxHeaderFieldCount
        let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
        try channel.pipeline.syncOperations.addHandler(codec)
        try channel.pipeline.syncOperations.addHandler(guardHandler)
        try channel.pipeline.syncOperations.addHandler(stateHandler)
        return negotiated
    }

    private enum Ending: Sendable { case served, graceOver, stopped }

    func handle(value: Value, logger: Logger) async {
        // The connection's tasks (its request loop, the handlers, their child tasks) run on its own event loop;
        // OffLoopMiddleware moves all but the light pass-through routes to the global executor.
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await self.serve(value: value, logger: logger)
        }
    }

    private func serve(value: Value, logger: Logger) async {
        let negotiated: Negotiated
        do {
            negotiated = try await value.negotiated.get()
        } catch {
            logger.debug("connection ended before its first request was decided", metadata: ["error": .string("\(error)")])
            return
        }
        switch negotiated {
        case .http(let asyncChannel):
            await serveHTTP(asyncChannel, value: value, logger: logger)
        case .refused(let asyncChannel, let refused):
            await Self.answer(refused, on: asyncChannel)
        case .webSocket(let asyncChannel, let run):
            // A realtime session relays and may decode, encode and recognise audio: off the event loop.
            await withTaskExecutorPreference(globalConcurrentExecutor) { await run(asyncChannel, logger) }
        }
    }

    private func serveHTTP(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, value: Value, logger: Logger) async {
        let grace = connections.shutdownGrace
        await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                await ClientConnection.$current.withValue(value.connection) {
                    await handleHTTP(asyncChannel: asyncChannel, logger: logger)
                }
                return .served
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                    try await Task.sleep(for: grace)
                    return .graceOver
                } catch {
                    return .stopped
                }
            }
            if await group.next() == .graceOver {
                let requestIDs = connections.graceOver(value.connection)
                let answer = GatewayError.shuttingDown().body(requestID: requestIDs.first)
                let guardHandler = value.guardHandler
                try? await value.channel.eventLoop.submit { guardHandler.value.cutOffForShutdown(answer: answer) }.get()
            }
            group.cancelAll()
        }
    }

    /// The refused upgrade's answer, `Connection: close`; the connection closes after it.
    private static func answer(_ refused: RefusedUpgrade, on asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) async {
        var fields = refused.headers
        fields[.contentLength] = String(refused.body.readableBytes)
        fields[.connection] = "close"
        try? await asyncChannel.executeThenClose { _, outbound in
            try await outbound.write(.head(HTTPResponse(status: refused.status, headerFields: fields)))
            try await outbound.write(.body(refused.body))
            try await outbound.write(.end(nil))
        }
    }
}

extension HTTPServerBuilder {
    /// The gateway's HTTP/1.1 server (`GatewayHTTPChannel`), with its WebSocket route when it has one.
    static func gateway(connections: ServerConnections, webSocket: (any WebSocketEndpoint)? = nil) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GatewayHTTPChannel(responder: responder, connections: connections, webSocket: webSocket) }
    }
}
