import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The error a request body read throws when the client stopped sending it for `server.body_timeout_seconds`.
struct RequestBodyTimeout: Error, CustomStringConvertible {
    var description: String { "the request body stopped arriving (server.body_timeout_seconds)" }
}

/// One per client connection, between the HTTP codec and Hummingbird's request loop: admits the connection under
/// `server.max_connections` (or answers 503 and closes), applies the header, idle and body time limits
/// (`ConnectionTimeouts`), and tells the connection's `ClientConnection` when the client hangs up.
///
/// Everything here runs on the connection's event loop. `ByteTap`, first in the pipeline, reports raw bytes
/// arriving: a request head in progress is visible only there, before the decoder has a head to pass on.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Admission { case pending, admitted, refused, closed }

    private let connections: ServerConnections
    private let connection: ClientConnection
    private var timeouts: ConnectionTimeouts
    private var admission = Admission.pending
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// A body timed out, or the server is shutting down: the response says `Connection: close` and the connection
    /// closes once it is out.
    private var closeAfterResponse = false
    /// Past a time limit: nothing further is timed.
    private var expired = false
    /// A response head went out and its end has not.
    private var responding = false
    /// Cut off by a shutdown out of grace: the cancelled request's own writes are dropped.
    private var cutOff = false
    /// A request head got through: from then on Hummingbird's request loop answers what the decoder rejects.
    private var sawHead = false

    /// How long a refused connection is kept to read the client's request (closing on unread bytes sends a reset,
    /// which can destroy the 503 before the client reads it).
    static let refusalLinger = TimeAmount.seconds(1)

    init(connections: ServerConnections, connection: ClientConnection) {
        self.connections = connections
        self.connection = connection
        timeouts = ConnectionTimeouts(limits: connections.timeouts, openedAt: .now())
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { activate(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context: context)
        context.fireChannelActive()
    }

    private func activate(context: ChannelHandlerContext) {
        guard admission == .pending else { return }
        if connections.admit() {
            admission = .admitted
            timeouts = ConnectionTimeouts(limits: connections.timeouts, openedAt: .now())
            rearm()
        } else {
            admission = .refused
            connections.refused()
            refuse(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admission == .admitted { connections.release() }
        admission = .closed
        cancelTimer()
        connection.clientClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Shutting down: Hummingbird closes the connection after the response in progress; saying so in its
            // head keeps a pooled client from sending another request into the closing connection.
            closeAfterResponse = true
        }
        if case ChannelEvent.inputClosed = event {
            // A client that closes its side is gone for a streamed answer (the same reading Hummingbird's
            // inbound-close handler had).
            connection.clientClosed()
            if admission == .refused { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The connection became a WebSocket and this guard leaves the pipeline: its time limits end (a session may
    /// last hours), and its place in `server.max_connections` is given back when the socket closes instead.
    func handOver(channel: any Channel) {
        cancelTimer()
        expired = true
        guard admission == .admitted else { return }
        admission = .closed
        let connections = connections
        let connection = connection
        channel.closeFuture.whenComplete { _ in
            connections.release()
            connection.clientClosed()
        }
    }

    // MARK: traffic

    /// Raw bytes came off the socket (called by `ByteTap`).
    fileprivate func bytesArrived() {
        guard admission == .admitted else { return }
        timeouts.bytesArrived(at: .now())
        rearm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request is read and dropped: it is answered already.
        guard admission == .admitted else { return }
        switch unwrapInboundIn(data) {
        case .head:
            sawHead = true
            timeouts.headArrived(at: .now())
        case .end: timeouts.endArrived(at: .now())
        case .body: break
        }
        rearm()
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if admission == .admitted {
            timeouts.readRequested(at: .now())
            rearm()
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if cutOff {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            responding = true
            if closeAfterResponse { head.headerFields[.connection] = "close" }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            responding = false
            timeouts.responseEnded(at: .now())
            rearm()
            if closeAfterResponse {
                let written = promise ?? context.eventLoop.makePromise()
                context.writeAndFlush(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.write(data, promise: promise)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A first request the decoder rejects: with the WebSocket upgrade handler in front, Hummingbird's request
        // loop does not exist before a first head is decided, so the 400 it would write (empty, `Connection:
        // close`) is written here.
        if error is HTTPParserError, !sawHead, admission == .admitted, !expired {
            cancelTimer()
            expired = true
            answerAndClose(.badRequest, [], context: context)
            return
        }
        context.fireErrorCaught(error)
    }

    // MARK: time limits

    private func rearm() {
        guard !expired, let context, let deadline = timeouts.deadline else { return }
        // A timer due earlier re-checks and moves on by itself; only an earlier deadline needs a new one.
        if let timerDeadline, timerDeadline <= deadline { return }
        cancelTimer()
        schedule(at: deadline, context: context)
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in timerFired() }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard !expired, admission == .admitted, let context else { return }
        guard let expiry = timeouts.expiry(at: .now()) else {
            if let deadline = timeouts.deadline { schedule(at: deadline, context: context) }
            return
        }
        expired = true
        connections.timedOut(expiry)
        switch expiry {
        case .idle:
            context.close(promise: nil)
        case .header:
            answerAndClose(.requestTimeout, GatewayError.init(.requestTimeout, "The request headers did not arrive in time.").body,
                           context: context)
        case .body:
            // The route reading the body gets this error and answers 408; the connection closes after that answer.
            // A route that answered already is past it: the server loop, draining the body, gets the error and
            // closes the connection.
            closeAfterResponse = true
            context.fireErrorCaught(RequestBodyTimeout())
        }
    }

    // MARK: shutdown

    /// The shutdown grace ran out while this connection was serving. A request still waiting for its answer gets
    /// `answer` (503, `Connection: close`) now, before its task is cancelled, which could not write it any more; a
    /// response already under way is cut by closing the connection, the only signal left. Whatever the cancelled
    /// task still writes is dropped.
    func cutOffForShutdown(answer: [UInt8]) {
        guard let context, admission == .admitted, !cutOff else { return }
        cancelTimer()
        expired = true
        if !responding, timeouts.unanswered > 0 {
            answerAndClose(.serviceUnavailable, answer, context: context)
        } else {
            context.close(promise: nil)
        }
        cutOff = true
    }

    // MARK: answers written here

    /// 503 in the house error shape, `Connection: close`, then the connection closes once the client's request
    /// is read (or after `refusalLinger`).
    private func refuse(context: ChannelHandlerContext) {
        let body = GatewayError(.serviceUnavailable, "Too many open connections; retry shortly.").body
        writeAnswer(.serviceUnavailable, body, extra: [.retryAfter: "1"], context: context).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.refusalLinger) { context.close(promise: nil) }
    }

    private func answerAndClose(_ status: HTTPResponse.Status, _ body: [UInt8], context: ChannelHandlerContext) {
        writeAnswer(status, body, extra: [:], context: context).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func writeAnswer(_ status: HTTPResponse.Status, _ body: [UInt8], extra: HTTPFields, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var fields: HTTPFields = [.contentType: "application/json", .contentLength: String(body.count), .connection: "close"]
        fields.append(contentsOf: extra)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }
}

extension ConnectionGuard {
    /// First in the pipeline: tells the guard that bytes arrived, before the HTTP decoder turns them into parts.
    final class ByteTap: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let guardHandler: ConnectionGuard

        init(_ guardHandler: ConnectionGuard) { self.guardHandler = guardHandler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardHandler.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}
