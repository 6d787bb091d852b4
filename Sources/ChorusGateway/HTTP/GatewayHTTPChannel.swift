import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import ServiceLifecycle

/// Hummingbird's HTTP/1.1 server with what it does not have itself: a guard on every connection (time limits,
/// the connection cap, hang-up notice: `ConnectionGuard`) and a bounded shutdown.
///
/// Hummingbird's graceful shutdown stops accepting at once, closes idle connections, and then waits for every
/// connection still serving — without limit: one stalled upload kept the process alive indefinitely. Here each
/// connection's request loop runs beside a watch that, `server.shutdown_grace_seconds` after the shutdown began,
/// writes the usage rows of what is still running as cancelled (503), has the guard answer a caller still waiting
/// with 503 `server_shutting_down` (or cut a response already started), and cancels the loop's task.
struct GatewayHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    struct Value: ServerChildChannelValue {
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        let connection: ClientConnection
        let guardHandler: NIOLoopBound<ConnectionGuard>
        var channel: any Channel { asyncChannel.channel }
    }

    let responder: HTTPChannelHandler.Responder
    let connections: ServerConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let connection = ClientConnection()
        let guardHandler = ConnectionGuard(connections: connections, connection: connection)
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard.ByteTap(guardHandler), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Hummingbird builds the rest (codec, its connection state handler, the async channel) and places the guard
        // between the codec and its request loop; it asks for the handlers right here, on this event loop.
        let guardOnLoop = NIOLoopBound(guardHandler, eventLoop: channel.eventLoop)
        let http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [guardOnLoop.value]))
        return http1.setup(channel: channel, logger: logger).map {
            Value(asyncChannel: $0, connection: connection, guardHandler: guardOnLoop)
        }
    }

    private enum Ending: Sendable { case served, graceOver, stopped }

    func handle(value: Value, logger: Logger) async {
        let grace = connections.shutdownGrace
        await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                await ClientConnection.$current.withValue(value.connection) {
                    await handleHTTP(asyncChannel: value.asyncChannel, logger: logger)
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
}

extension HTTPServerBuilder {
    /// The gateway's HTTP/1.1 server (`GatewayHTTPChannel`).
    static func gateway(connections: ServerConnections) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GatewayHTTPChannel(responder: responder, connections: connections) }
    }
}
