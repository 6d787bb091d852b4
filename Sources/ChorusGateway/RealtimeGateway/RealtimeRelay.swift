import Atomics
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
@_spi(WSInternal) import WSCore

/// One client socket relayed to one `RealtimeSession`, frames both ways unchanged (text byte for byte, binary as
/// is, JSON or not). Back-pressure both ways: the session's `receive` suspends while its far side cannot take more,
/// which stops this reading the client; frames for the client wait in the session's bounded queue, and a client that
/// stops reading altogether is cut off (1008) once a write to it has been pending for `clientWriteTimeout`.
///
/// Either side's close closes the other with the same code and reason; the gateway stopping closes both with 1001.
/// The session's one usage row is written when it ends, however it ends: tokens from the session's usage, how long
/// it was open, the bytes each way, and who closed it with which code.
///
/// The client socket is WSCore's WebSocket handler (ping/pong, the close handshake, message assembly) on NIO's
/// frame codec; WSCore's handler is its SPI, the same entry point hummingbird-websocket's upgrade channel uses.
final class RealtimeRelay: Sendable {
    struct Settings: Sendable {
        /// A write to the client pending this long means it stopped reading: the session closes with 1008.
        var clientWriteTimeout: Duration = .seconds(10)
        /// How long the close handshake may take before the socket is simply closed.
        var closeTimeout: Duration = .seconds(1)
        var maxMessageBytes = 16 << 20

        init(clientWriteTimeout: Duration = .seconds(10), closeTimeout: Duration = .seconds(1)) {
            self.clientWriteTimeout = clientWriteTimeout
            self.closeTimeout = closeTimeout
        }
    }

    private struct Context: WebSocketContext {
        let logger: Logger
    }

    let admission: RealtimeAdmission
    let settings: Settings
    private let ending = RealtimeEnding()
    private let bytesIn = ManagedAtomic(0)
    private let bytesOut = ManagedAtomic(0)

    /// Sessions relayed right now (the leak test and the metrics read it).
    static let open = ManagedAtomic(0)
    static var openCount: Int { open.load(ordering: .relaxed) }

    init(admission: RealtimeAdmission, settings: Settings) {
        self.admission = admission
        self.settings = settings
    }

    var session: any RealtimeSession { admission.session }

    func run(_ asyncChannel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, logger: Logger) async {
        Self.open.wrappingIncrement(ordering: .relaxed)
        defer { Self.open.wrappingDecrement(ordering: .relaxed) }
        let configuration = WebSocketHandler.Configuration(extensions: [], autoPing: .disabled, closeTimeout: settings.closeTimeout,
                                                           validateUTF8: false, maxFrameSize: settings.maxMessageBytes)
        var clientClose: WebSocketCloseFrame?
        // WSCore's handler answers the service group's graceful shutdown by closing with 1000 itself; the relay says
        // 1001 (going away) to both sides instead, so the handler runs where that shutdown cannot reach it: a detached
        // task (no task locals), awaited right here and cancelled with this one.
        let handling = Task.detached {
            try await WebSocketHandler.handle(type: .server, configuration: configuration, asyncChannel: asyncChannel,
                                              context: Context(logger: logger)) { inbound, outbound, _ in
                await self.pump(inbound: inbound, outbound: outbound, channel: asyncChannel.channel)
            }
        }
        do {
            clientClose = try await withGracefulShutdownHandler {
                try await withTaskCancellationHandler { try await handling.value } onCancel: { handling.cancel() }
            } onGracefulShutdown: {
                let session = self.session
                self.ending.set(RealtimeClose(code: 1001, reason: "server shutting down"), by: .gateway)
                Task { await session.close(RealtimeClose(code: 1001, reason: "server shutting down")) }
            }
        } catch {
            logger.debug("realtime client socket failed", metadata: ["error": .string("\(error)")])
        }
        // Nobody else ended it: the client did, with its close frame, or by dropping the connection.
        let client = clientClose.map { RealtimeClose(code: UInt16(webSocketErrorCode: $0.closeCode), reason: $0.reason ?? "") }
            ?? RealtimeClose(code: 1001, reason: "client went away")
        let (close, side) = ending.set(client, by: .client)
        if side != .upstream { await session.close(close) }
        await finishRow(close: close, side: side)
    }

    /// The two directions and the write watch; returns when either direction ends.
    private func pump(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let watch = RealtimeWriteWatch(limit: settings.clientWriteTimeout)
        let session = session
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in session.outbound {
                    watch.writing()
                    do {
                        switch frame {
                        case .text(let text):
                            self.bytesOut.wrappingIncrement(by: text.utf8.count, ordering: .relaxed)
                            try await outbound.write(.text(text))
                        case .binary(let bytes):
                            self.bytesOut.wrappingIncrement(by: bytes.count, ordering: .relaxed)
                            try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        }
                    } catch {
                        return
                    }
                    watch.written()
                }
                guard !Task.isCancelled else { return }
                // The far side ended: the client gets its code and reason.
                let reason = await session.closeReason() ?? .failed("upstream closed")
                let (close, _) = self.ending.set(reason, by: .upstream)
                try? await outbound.close(WebSocketErrorCode(codeNumber: Int(Self.sendable(close.code))),
                                          reason: close.reason.isEmpty ? nil : close.reason)
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: self.settings.maxMessageBytes) {
                        switch message {
                        case .text(let text):
                            self.bytesIn.wrappingIncrement(by: text.utf8.count, ordering: .relaxed)
                            await session.receive(.text(text))
                        case .binary(let buffer):
                            self.bytesIn.wrappingIncrement(by: buffer.readableBytes, ordering: .relaxed)
                            await session.receive(.binary(Array(buffer.readableBytesView)))
                        }
                    }
                } catch {
                    // A protocol error or a dropped connection: the client's side is over.
                }
            }
            group.addTask {
                guard await watch.stuck() else { return }
                let close = RealtimeClose.policy("client is not reading")
                self.ending.set(close, by: .gateway)
                await session.close(close)
                // Its buffers are full: a close frame would wait behind them, so the connection is closed outright.
                channel.close(promise: nil)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The upgrade never completed (the client left before it): the session closes and its row says so.
    func abandon() async {
        let (close, side) = ending.set(RealtimeClose(code: 1001, reason: "client went away before the upgrade"), by: .client)
        await session.close(close)
        await finishRow(close: close, side: side)
    }

    private func finishRow(close: RealtimeClose, side: RealtimeEnding.Side) async {
        let usage = await session.usage()
        let seconds = Double((ContinuousClock.now - admission.opened).components.seconds)
            + Double((ContinuousClock.now - admission.opened).components.attoseconds) / 1e18
        let bytesIn = bytesIn.load(ordering: .relaxed)
        let bytesOut = bytesOut.load(ordering: .relaxed)
        admission.trace.update { row in
            let input = usage.inputTextTokens + usage.inputAudioTokens
            let output = usage.outputTextTokens + usage.outputAudioTokens
            if input + output > 0 {
                row.promptTokens = input
                row.completionTokens = output
                row.totalTokens = input + output
                row.inputAudioTokens = usage.inputAudioTokens
                row.outputAudioTokens = usage.outputAudioTokens
            }
            if usage.inputAudioSeconds + usage.outputAudioSeconds > 0 { row.audioSeconds = usage.inputAudioSeconds + usage.outputAudioSeconds }
            if usage.characters > 0 { row.characters = usage.characters }
            row.sessionSeconds = seconds
            row.bytesIn = bytesIn
            row.bytesOut = bytesOut
        }
        admission.trace.markFirstByte()
        let normal = close.code == 1000
        let error = normal ? nil : "closed by \(side.rawValue) with \(close.code)\(close.reason.isEmpty ? "" : ": \(close.reason)")"
        // A session the upstream broke off is the provider's failure; one the client or the gateway ended is served.
        admission.trace.finish(status: side == .upstream && !normal && close.code != 1001 ? 502 : 200, error: error)
    }

    /// 1005/1006/1015 only report what happened and may not be sent in a close frame.
    static func sendable(_ code: UInt16) -> UInt16 {
        switch code {
        case 1005, 1006, 1015: 1000
        default: code
        }
    }
}
