import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOWebSocket
import WSClient
import WSCore

/// A realtime session whose far side is a provider's WebSocket (OpenAI's Realtime API or one that speaks it).
///
/// Frames from upstream wait in a bounded queue until the route takes them: when the client stops reading, this
/// stops reading the upstream socket (TCP back-pressure) instead of buffering. Frames to upstream go straight to the
/// socket's writer, which suspends while the socket is not writable. Usage is summed from each `response.done`.
final class UpstreamRealtimeSession: RealtimeSession {
    /// Upper bound for one event: OpenAI allows 15 MiB (`input_audio_buffer.append` carries audio as base64).
    static let maxMessageBytes = 16 << 20

    private struct State {
        var writer: WebSocketOutboundWriter?
        var opening: CheckedContinuation<Result<Void, GatewayError>, Never>?
        var opened = false
        var closeReason: RealtimeClose?
        var closeRequested: RealtimeClose?
        var usage = RealtimeUsage()
    }

    let outbound: AsyncStream<RealtimeFrame>
    private let queue: RealtimeFrameQueue
    private let state = NIOLockedValueBox(State())
    private let provider: String
    private let running = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private init(provider: String, capacity: Int) {
        self.provider = provider
        queue = RealtimeFrameQueue(capacity: capacity)
        outbound = queue.stream()
    }

    /// Connects and completes the WebSocket handshake within `connectTimeout` seconds; a refused handshake, an
    /// unreachable host or a timeout is a GatewayError naming the provider (the URL and key go to no message).
    static func open(url: String, headers: HTTPFields, provider: String, connectTimeout: Double, capacity: Int = 64,
                     caFile: String? = nil, logger: Logger) async throws(GatewayError) -> UpstreamRealtimeSession {
        let session = UpstreamRealtimeSession(provider: provider, capacity: capacity)
        // Pings every 20 s, and a pong missing for a whole period closes the session: an upstream whose connection
        // died without the drop reaching us (seen once in RealtimeGatewayTests: the peer closed right after
        // session.created and the relay waited until the test gave up) is noticed within 40 s at most.
        let configuration = WebSocketClientConfiguration(maxFrameSize: maxMessageBytes, additionalHeaders: headers,
                                                         closeTimeout: .seconds(5), autoPing: .enabled(timePeriod: .seconds(20)),
                                                         validateUTF8: false)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, GatewayError>, Never>) in
            session.state.withLockedValue { $0.opening = continuation }
            let task = Task {
                await session.run(url: url, configuration: configuration, caFile: caFile, logger: logger)
            }
            session.running.withLockedValue { $0 = task }
            Task {
                try? await Task.sleep(for: .seconds(max(0.1, connectTimeout)))
                if session.resolveOpening(.failure(.upstreamTimeout(provider: provider))) { task.cancel() }
            }
        }
        if case .failure(let error) = result {
            logger.info("realtime upstream refused", metadata: ["provider": .string(provider), "error": .string(error.message)])
            throw error
        }
        return session
    }

    /// Resumes `open` once; true when this call did it.
    private func resolveOpening(_ result: Result<Void, GatewayError>) -> Bool {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Result<Void, GatewayError>, Never>? in
            let continuation = state.opening
            state.opening = nil
            if continuation != nil, case .success = result { state.opened = true }
            return continuation
        }
        continuation?.resume(returning: result)
        return continuation != nil
    }

    private func run(url: String, configuration: WebSocketClientConfiguration, caFile: String?, logger: Logger) async {
        var tls: TLSConfiguration?
        if let caFile {
            tls = TLSConfiguration.makeClientConfiguration()
            tls?.trustRoots = .file(caFile)
        }
        let client = WebSocketClient(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
            self.state.withLockedValue { $0.writer = outbound }
            guard self.resolveOpening(.success(())) else { return }
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                let frame: RealtimeFrame
                switch message {
                case .text(let text):
                    frame = .text(text)
                    if let usage = RealtimeUsage.fromResponseDone(text) { self.state.withLockedValue { $0.usage += usage } }
                case .binary(let buffer):
                    frame = .binary(Array(buffer.readableBytesView))
                }
                guard await self.queue.push(frame) else { break }
            }
        }
        let ending: RealtimeClose
        do {
            let closeFrame = try await client.run()
            ending = closeFrame.map { RealtimeClose(code: UInt16(webSocketErrorCode: $0.closeCode), reason: $0.reason ?? "") }
                ?? .failed("upstream closed without a close frame")
        } catch {
            if resolveOpening(.failure(Self.refusal(error, provider: provider))) { return finish(.failed("upstream refused")) }
            logger.info("realtime upstream failed", metadata: ["provider": .string(provider), "error": .string("\(error)")])
            ending = .failed("upstream connection failed")
        }
        if resolveOpening(.failure(.upstreamFailed(provider: provider, "The realtime session ended during the handshake."))) {
            return finish(ending)
        }
        finish(ending)
    }

    /// The handshake error as the caller sees it: a refused upgrade keeps no status of its own from WSClient, so it is
    /// a 502 upstream failure; a connection that could not be made is "unreachable".
    private static func refusal(_ error: any Error, provider: String) -> GatewayError {
        if let error = error as? WebSocketClientError, error == .webSocketUpgradeFailed {
            return .upstreamFailed(provider: provider, "The realtime handshake was refused.")
        }
        return .upstreamUnreachable(provider: provider, "\(error)")
    }

    /// The session ended from the upstream's side (or after our close): the reason the client's side gets is ours
    /// when we asked for the close, else the upstream's.
    private func finish(_ ending: RealtimeClose) {
        state.withLockedValue { state in
            if state.closeReason == nil { state.closeReason = state.closeRequested ?? ending }
            state.writer = nil
        }
        queue.finish()
    }

    func receive(_ frame: RealtimeFrame) async {
        guard let writer = state.withLockedValue({ $0.closeReason == nil && $0.closeRequested == nil ? $0.writer : nil }) else { return }
        do {
            switch frame {
            case .text(let text): try await writer.write(.text(text))
            case .binary(let bytes): try await writer.write(.binary(ByteBuffer(bytes: bytes)))
            }
        } catch {
            // The socket failed; the read side sees it too and ends the session.
        }
    }

    func close(_ reason: RealtimeClose) async {
        let writer = state.withLockedValue { state -> WebSocketOutboundWriter? in
            guard state.closeRequested == nil, state.closeReason == nil else { return nil }
            state.closeRequested = reason
            return state.writer
        }
        // The close frame first: finishing the queue ends the socket's handler, whose own close would say 1000.
        if let writer {
            try? await writer.close(WebSocketErrorCode(codeNumber: Int(Self.sendable(reason.code))), reason: reason.reason.isEmpty ? nil : reason.reason)
            queue.finish()
        } else {
            queue.finish()
            running.withLockedValue { $0 }?.cancel()
        }
        // The client's side is done with the session whatever the upstream does with the close handshake.
        await running.withLockedValue { $0 }?.value
    }

    /// 1005/1006/1015 are reserved for reporting and may not be sent in a close frame.
    private static func sendable(_ code: UInt16) -> UInt16 {
        switch code {
        case 1005, 1006, 1015: 1000
        default: code
        }
    }

    func closeReason() async -> RealtimeClose? { state.withLockedValue { $0.closeReason } }

    func usage() async -> RealtimeUsage { state.withLockedValue { $0.usage } }
}
