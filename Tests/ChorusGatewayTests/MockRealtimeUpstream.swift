import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An OpenAI Realtime (GA) upstream on a real socket, written from the published event protocol: `GET
/// /v1/realtime?model=M` upgrades (with `Authorization: Bearer <key>`), the server speaks first with
/// `session.created`, answers `session.update` with `session.updated`, `input_audio_buffer.commit` with
/// `input_audio_buffer.committed`, and `response.create` with `response.created`, audio and transcript deltas and a
/// `response.done` carrying `response.usage` (input/output tokens with text/audio details).
///
/// Raw NIO frames, not a WebSocket library's handler, so a test sees exactly what the gateway sent, close codes
/// included. Test controls (client events that are not OpenAI's): `mock.close` {code, reason} closes with that code,
/// `mock.script` sends `MockRealtimeUpstream.script`, `mock.flood` {count, size} sends that many deltas, and
/// `bench.echo` events come back unchanged. Upstream model `refuse` refuses the handshake (401); `drop` drops the
/// connection (no close frame) after `session.created`.
final class MockRealtimeUpstream: Sendable {
    static let usage = #"{"total_tokens":230,"input_tokens":120,"output_tokens":110,"input_token_details":{"text_tokens":20,"audio_tokens":100,"cached_tokens":0},"output_token_details":{"text_tokens":30,"audio_tokens":80}}"#

    /// Frames `mock.script` sends, in order: unusual JSON spacing, non-ASCII text, non-JSON text and binary.
    static let script: [RealtimeFrameSample] = [
        .text(#"{"type":"response.output_audio_transcript.delta",   "event_id":"event_1","delta":"héllo — 世界 🎧"}"#),
        .text(#"{"type":"conversation.item.added","event_id":"event_2","item":{"id":"item_1","type":"message","role":"assistant","content":[]}}"#),
        .text("not json at all {"),
        .binary([0, 1, 2, 253, 254, 255, 0x7b, 0x22]),
        .text(#"{"type":"response.output_audio.delta","event_id":"event_3","delta":"AAECAwQFBgc="}"#),
    ]

    enum RealtimeFrameSample: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    struct Received: Sendable {
        var frames: [RealtimeFrameSample] = []
        var closeCodes: [UInt16] = []
        var closeReasons: [String] = []
        var closedAt: [ContinuousClock.Instant] = []
        var authorizations: [String] = []
        var uris: [String] = []
        var open = 0
        var opened = 0
    }

    let received = NIOLockedValueBox(Received())
    private let channel: NIOLockedValueBox<(any Channel)?> = .init(nil)

    var port: Int { channel.withLockedValue { $0?.localAddress?.port ?? 0 } }

    enum Upgrade: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, String)
        case refused
    }

    /// Runs `body` with the mock listening on a free loopback port.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configure(channel)
                }
            }
        channel.withLockedValue { $0 = server.channel }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await upgrade in inbound {
                            connections.addTask { await self.serve(upgrade) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            let result = try await body()
            server.channel.close(promise: nil)
            return result
        }
    }

    private func configure(_ channel: any Channel) throws -> EventLoopFuture<Upgrade> {
        let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
            maxFrameSize: 1 << 24,
            shouldUpgrade: { channel, head in
                self.received.withLockedValue {
                    $0.uris.append(head.uri)
                    $0.authorizations.append(head.headers["authorization"].first ?? "")
                }
                if head.uri.contains("model=refuse") { return channel.eventLoop.makeSucceededFuture(nil) }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    .webSocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel), head.uri)
                }
            })
        let configuration = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(upgraders: [upgrader], notUpgradingCompletionHandler: { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Refuser())
                return .refused
            }
        })
        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: configuration))
    }

    /// Answers a refused handshake as OpenAI does a bad key: 401 with an error body.
    private final class Refuser: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let body = #"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.utf8.count))
            headers.add(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .unauthorized, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func serve(_ upgrade: EventLoopFuture<Upgrade>) async {
        guard case .webSocket(let asyncChannel, let uri) = try? await upgrade.get() else { return }
        received.withLockedValue {
            $0.open += 1
            $0.opened += 1
        }
        defer { received.withLockedValue { $0.open -= 1 } }
        try? await asyncChannel.executeThenClose { inbound, outbound in
            let model = uri.components(separatedBy: "model=").last ?? ""
            try await outbound.write(Self.text(#"{"type":"session.created","event_id":"event_0","session":{"type":"realtime","object":"realtime.session","id":"sess_mock","model":"\#(model)","output_modalities":["audio"]}}"#))
            if model == "drop" {
                try? await asyncChannel.channel.close()
                return
            }
            var state = SessionState(transcription: uri.contains("intent=transcription"))
            for try await frame in inbound {
                switch frame.opcode {
                case .connectionClose:
                    var data = frame.unmaskedData
                    let code = data.readInteger(as: UInt16.self) ?? 1005
                    let reason = data.readString(length: data.readableBytes) ?? ""
                    received.withLockedValue {
                        $0.closeCodes.append(code)
                        $0.closeReasons.append(reason)
                        $0.closedAt.append(.now)
                    }
                    try? await outbound.write(Self.close(code: code == 1005 ? 1000 : code, reason: ""))
                    return
                case .ping:
                    try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                case .text:
                    let text = String(buffer: frame.unmaskedData)
                    received.withLockedValue { $0.frames.append(.text(text)) }
                    if try await answer(text, state: &state, outbound: outbound) { return }
                case .binary:
                    received.withLockedValue { $0.frames.append(.binary(Array(frame.unmaskedData.readableBytesView))) }
                default:
                    continue
                }
            }
        }
    }

    /// What one connection remembers: a transcription session (`?intent=transcription`) counts the audio appended.
    struct SessionState {
        var transcription: Bool
        var appendedBytes = 0
    }

    /// What a transcription session says it heard: the seconds of audio appended, so a test can tell that all of
    /// it arrived.
    static func transcript(seconds: Double) -> String { "The mock heard \(String(format: "%.1f", seconds)) seconds of audio." }

    /// The voice an out-of-band response refuses, as OpenAI does a voice it does not have.
    static let unknownVoice = "nobody"

    /// The answer to one client event; true when the mock closed the session.
    private func answer(_ text: String, state: inout SessionState,
                        outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) async throws -> Bool {
        let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        switch event?["type"] as? String {
        case "session.update":
            try await outbound.write(Self.text(#"{"type":"session.updated","event_id":"event_u","session":{"type":"realtime"}}"#))
        case "input_audio_buffer.append":
            state.appendedBytes += Data(base64Encoded: event?["audio"] as? String ?? "")?.count ?? 0
        case "input_audio_buffer.commit":
            try await outbound.write(Self.text(#"{"type":"input_audio_buffer.committed","event_id":"event_c","item_id":"item_in"}"#))
            if state.transcription {
                let heard = Self.transcript(seconds: Double(state.appendedBytes) / 48000)
                try await outbound.write(Self.text(#"{"type":"conversation.item.input_audio_transcription.completed","event_id":"event_t","item_id":"item_in","content_index":0,"transcript":"\#(heard)"}"#))
            }
        case "response.create" where ((event?["response"] as? [String: Any])?["conversation"] as? String) == "none":
            try await speak(event?["response"] as? [String: Any] ?? [:], outbound: outbound)
        case "response.create":
            try await outbound.write(Self.text(#"{"type":"response.created","event_id":"event_r1","response":{"id":"resp_1","object":"realtime.response","status":"in_progress"}}"#))
            try await outbound.write(Self.text(#"{"type":"response.output_audio.delta","event_id":"event_r2","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"AAAAAAAAAAA="}"#))
            try await outbound.write(Self.text(#"{"type":"response.output_audio_transcript.delta","event_id":"event_r3","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"Hi"}"#))
            try await outbound.write(Self.text(#"{"type":"response.done","event_id":"event_r4","response":{"id":"resp_1","object":"realtime.response","status":"completed","output":[],"usage":\#(Self.usage)}}"#))
        case "mock.script":
            for sample in Self.script {
                switch sample {
                case .text(let text): try await outbound.write(Self.text(text))
                case .binary(let bytes): try await outbound.write(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: bytes)))
                }
            }
        case "mock.flood":
            let count = event?["count"] as? Int ?? 1000
            let delta = String(repeating: "A", count: event?["size"] as? Int ?? 65536)
            for index in 0..<count {
                try await outbound.write(Self.text(#"{"type":"response.output_audio.delta","event_id":"event_f\#(index)","delta":"\#(delta)"}"#))
            }
        case "mock.close":
            let code = UInt16(event?["code"] as? Int ?? 1000)
            try await outbound.write(Self.close(code: code, reason: event?["reason"] as? String ?? ""))
            return true
        case "bench.echo":
            try await outbound.write(Self.text(text))
        default:
            break
        }
        return false
    }

    /// An out-of-band response read aloud: 0.6 s of a 440 Hz tone as PCM16 24 kHz in six deltas, then
    /// `response.done`; an unknown voice is refused with OpenAI's `error` event.
    private func speak(_ response: [String: Any], outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) async throws {
        let voice = ((response["audio"] as? [String: Any])?["output"] as? [String: Any])?["voice"] as? String
        if voice == Self.unknownVoice {
            try await outbound.write(Self.text(#"{"type":"error","event_id":"event_e","error":{"type":"invalid_request_error","code":"invalid_value","message":"Invalid value: 'nobody'. Supported values are: 'alloy', 'ash', 'marin'.","param":"response.audio.output.voice"}}"#))
            return
        }
        try await outbound.write(Self.text(#"{"type":"response.created","event_id":"event_s1","response":{"id":"resp_oob","object":"realtime.response","status":"in_progress","conversation_id":null}}"#))
        for piece in 0..<6 {
            var bytes = [UInt8]()
            for index in 0..<2400 {
                let t = Double(piece * 2400 + index) / 24000
                let sample = UInt16(bitPattern: Int16(sin(2 * Double.pi * 440 * t) * 8000))
                bytes.append(UInt8(sample & 0xFF))
                bytes.append(UInt8(sample >> 8))
            }
            let delta = Data(bytes).base64EncodedString()
            try await outbound.write(Self.text(#"{"type":"response.output_audio.delta","event_id":"event_s\#(piece + 2)","response_id":"resp_oob","item_id":"item_oob","output_index":0,"content_index":0,"delta":"\#(delta)"}"#))
        }
        try await outbound.write(Self.text(#"{"type":"response.output_audio.done","event_id":"event_s8","response_id":"resp_oob","item_id":"item_oob","output_index":0,"content_index":0}"#))
        try await outbound.write(Self.text(#"{"type":"response.done","event_id":"event_s9","response":{"id":"resp_oob","object":"realtime.response","status":"completed","output":[],"usage":\#(Self.usage)}}"#))
    }

    static func text(_ text: String) -> WebSocketFrame { WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)) }

    static func close(code: UInt16, reason: String) -> WebSocketFrame {
        var data = ByteBuffer()
        data.writeInteger(code)
        data.writeString(reason)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }
}
