@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Testing
import WSClient
import WSCore

/// `/v1/realtime` through a live gateway to a live mock OpenAI Realtime upstream (`MockRealtimeUpstream`), with
/// WSClient as the client: both sockets real.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RealtimeGatewayTests {
    static let upstreamKey = "sk-upstream-realtime"

    static func config(upstreamPort: Int) -> GatewayConfig {
        var config = GatewayConfig()
        config.database = StorageBackend.suite.freshDatabase()
        config.server.keyCacheSeconds = 0
        config.server.realtimeClientWriteTimeoutSeconds = 1
        var provider = ProviderConfig(name: "rtmock", type: .openai)
        provider.baseURL = "http://127.0.0.1:\(upstreamPort)/v1"
        provider.apiKey = upstreamKey
        provider.connectTimeout = 2
        provider.timeout = 5
        config.providers = [provider]
        config.models = [
            ModelConfig(name: "rt", provider: "rtmock", model: "gpt-realtime", capabilities: [.realtime]),
            ModelConfig(name: "rt-refuse", provider: "rtmock", model: "refuse", capabilities: [.realtime]),
            ModelConfig(name: "rt-drop", provider: "rtmock", model: "drop", capabilities: [.realtime]),
            // No `capabilities:`: an OpenAI-compatible model does not offer realtime by default.
            ModelConfig(name: "chat-only", provider: "rtmock", model: "gpt-chat"),
        ]
        return config
    }

    func withRealtime(_ body: @Sendable (_ port: Int, _ client: any TestClientProtocol, Gateway, MockRealtimeUpstream) async throws -> Void) async throws {
        let mock = MockRealtimeUpstream()
        try await mock.run {
            let config = Self.config(upstreamPort: mock.port)
            let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "test"))
            try await gateway.application.test(.live) { client in
                try await body(client.port ?? 0, client, gateway, mock)
            }
            try? FileManager.default.removeItem(atPath: config.database)
        }
    }

    static func connect(_ port: Int, model: String = "rt", headers: HTTPFields = [.authorization: "Bearer \(masterKey)"],
                        handler: @escaping WebSocketDataHandler<WebSocketClient.Context>) async throws -> WebSocketCloseFrame? {
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/realtime?model=\(model)",
                                          configuration: .init(maxFrameSize: 1 << 24, additionalHeaders: headers),
                                          logger: Logger(label: "ws-test"), handler: handler)
    }

    /// The upgrade request as a plain HTTP client sends it, to read a refusal's status and body.
    static let upgradeHeaders: HTTPFields = [
        .connection: "Upgrade", .upgrade: "websocket", .secWebSocketVersion: "13", .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
    ]

    static func refusal(_ client: any TestClientProtocol, model: String, key: String = masterKey) async throws -> TestResponse {
        var headers = upgradeHeaders
        headers[.authorization] = "Bearer \(key)"
        return try await client.execute(uri: "/v1/realtime?model=\(model)", method: .get, headers: headers, body: nil)
    }

    static func firstText(_ inbound: WebSocketInboundStream) async throws -> String? {
        var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
        return try await nextText(&messages)
    }

    static func nextText(_ messages: inout WebSocketInboundMessageStream.AsyncIterator) async throws -> String? {
        while let message = try await messages.next() {
            if case .text(let text) = message { return text }
        }
        return nil
    }

    // MARK: admission

    @Test func bearerHeaderAPIKeyHeaderAndBrowserSubprotocolEachOpenASession() async throws {
        try await withRealtime { port, _, _, mock in
            let forms: [HTTPFields] = [
                [.authorization: "Bearer \(masterKey)"],
                [HTTPField.Name("x-api-key")!: masterKey],
                [.secWebSocketProtocol: "realtime, openai-insecure-api-key.\(masterKey), openai-beta.realtime-v1"],
            ]
            for headers in forms {
                let first = NIOLockedValueBox<String?>(nil)
                try await Self.connect(port, headers: headers) { inbound, outbound, _ in
                    first.withLockedValue { $0 = nil }
                    let text = try await Self.firstText(inbound)
                    first.withLockedValue { $0 = text }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                #expect(first.withLockedValue { $0 }?.contains(#""type":"session.created""#) == true)
            }
            let seen = mock.received.withLockedValue { $0 }
            // The upstream gets the provider's key and its own model name, never the caller's key.
            #expect(seen.authorizations == Array(repeating: "Bearer \(Self.upstreamKey)", count: 3))
            #expect(seen.uris.allSatisfy { $0 == "/v1/realtime?model=gpt-realtime" })
        }
    }

    @Test func unknownModelIsRefusedWith404InOpenAIsErrorShape() async throws {
        try await withRealtime { _, client, _, mock in
            let response = try await Self.refusal(client, model: "no-such-model")
            #expect(response.status == .notFound)
            #expect(try errorBody(response).code == "model_not_found")
            #expect(response.headers[HTTPField.Name("x-request-id")!] != nil)
            #expect(mock.received.withLockedValue { $0.opened } == 0)
        }
    }

    @Test func modelWithoutTheRealtimeCapabilityIsRefusedWith400() async throws {
        try await withRealtime { _, client, _, _ in
            let response = try await Self.refusal(client, model: "chat-only")
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "model")
        }
    }

    @Test func badKeyIsRefusedWith401() async throws {
        try await withRealtime { _, client, _, _ in
            let response = try await Self.refusal(client, model: "rt", key: "sk-wrong")
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).type == "authentication_error")
        }
    }

    @Test func plainGetWithoutUpgradeIsA400() async throws {
        try await withRealtime { _, client, _, _ in
            let response = try await client.execute(uri: "/v1/realtime?model=rt", method: .get, headers: bearer(masterKey), body: nil)
            #expect(response.status == .badRequest)
        }
    }

    // MARK: relay

    @Test func everyFrameCrossesUnchangedBothWays() async throws {
        try await withRealtime { port, _, _, mock in
            let got = NIOLockedValueBox<[MockRealtimeUpstream.RealtimeFrameSample]>([])
            let sent: [MockRealtimeUpstream.RealtimeFrameSample] = [
                .text(#"{ "type" : "session.update",   "session":{"type":"realtime","instructions":"Ünïcode ✓"} }"#),
                .text("client garbage, not JSON"),
                .binary([255, 0, 128, 7]),
            ]
            try await Self.connect(port) { inbound, outbound, _ in
                for frame in sent {
                    switch frame {
                    case .text(let text): try await outbound.write(.text(text))
                    case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                }
                try await outbound.write(.text(#"{"type":"mock.script"}"#))
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    let frame: MockRealtimeUpstream.RealtimeFrameSample = switch message {
                    case .text(let text): .text(text)
                    case .binary(let buffer): .binary(Array(buffer.readableBytesView))
                    }
                    let count = got.withLockedValue { $0.append(frame); return $0.count }
                    // session.created, session.updated, then the script.
                    if count == 2 + MockRealtimeUpstream.script.count { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let frames = got.withLockedValue { $0 }
            #expect(frames.count == 2 + MockRealtimeUpstream.script.count)
            #expect(Array(frames.suffix(MockRealtimeUpstream.script.count)) == MockRealtimeUpstream.script)
            let received = mock.received.withLockedValue { $0.frames }
            #expect(Array(received.prefix(sent.count)) == sent)
        }
    }

    @Test func clientCloseReachesTheUpstreamWithItsCodeWithinASecond() async throws {
        try await withRealtime { port, _, _, mock in
            let closedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            try await Self.connect(port) { inbound, outbound, _ in
                _ = try await Self.firstText(inbound)
                closedAt.withLockedValue { $0 = .now }
                try await outbound.close(.init(codeNumber: 4001), reason: "bye")
            }
            let start = try #require(closedAt.withLockedValue { $0 })
            var seen = mock.received.withLockedValue { $0 }
            while seen.closeCodes.isEmpty, ContinuousClock.now - start < .seconds(2) {
                try await Task.sleep(for: .milliseconds(10))
                seen = mock.received.withLockedValue { $0 }
            }
            #expect(seen.closeCodes == [4001])
            #expect(seen.closeReasons == ["bye"])
            #expect(try #require(seen.closedAt.first) - start < .seconds(1))
        }
    }

    @Test func upstreamCloseReachesTheClientWithItsCodeWithinASecond() async throws {
        try await withRealtime { port, _, _, _ in
            let askedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            let close = try await Self.connect(port) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                _ = try await Self.nextText(&messages)
                askedAt.withLockedValue { $0 = .now }
                try await outbound.write(.text(#"{"type":"mock.close","code":4002,"reason":"upstream done"}"#))
                while try await messages.next() != nil {}
            }
            let elapsed = ContinuousClock.now - (try #require(askedAt.withLockedValue { $0 }))
            #expect(close.map { UInt16(webSocketErrorCode: $0.closeCode) } == 4002)
            #expect(close?.reason == "upstream done")
            #expect(elapsed < .seconds(1))
        }
    }

    // MARK: usage rows

    @Test func usageRowCarriesTheResponseDoneTokensAndSessionTime() async throws {
        try await withRealtime { port, _, gateway, _ in
            try await Self.connect(port) { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"response.create"}"#))
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    if case .text(let text) = message, text.contains(#""type":"response.done""#) { break }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            let row = try #require(try await logRows(gateway).first { $0.route == "/realtime" })
            #expect(row.status == 200)
            #expect(row.model == "rt")
            #expect(row.provider == "rtmock")
            #expect(row.promptTokens == 120)
            #expect(row.completionTokens == 110)
            #expect(row.totalTokens == 230)
            #expect(row.inputAudioTokens == 100)
            #expect(row.outputAudioTokens == 80)
            #expect((row.sessionSeconds ?? 0) > 0)
            #expect(row.bytesIn > 0 && row.bytesOut > 0)
            #expect(row.keyID == nil && !row.unauthenticated)
        }
    }

    @Test func upstreamRefusingTheHandshakeIsA502WithARow() async throws {
        try await withRealtime { _, client, gateway, _ in
            let response = try await Self.refusal(client, model: "rt-refuse")
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).code == "upstream_error")
            // The upstream's own words (and the provider key) never reach the client.
            #expect(!String(buffer: response.body).contains("Incorrect API key"))
            let row = try #require(try await logRows(gateway).first { $0.route == "/realtime" })
            #expect(row.status == 502)
        }
    }

    @Test func upstreamDroppingClosesTheClientWithAReasonAndWritesARow() async throws {
        try await withRealtime { port, _, gateway, _ in
            let close = try await Self.connect(port, model: "rt-drop") { inbound, _, _ in
                for try await _ in inbound {}
            }
            #expect(close.map { UInt16(webSocketErrorCode: $0.closeCode) } == 1011)
            #expect(close?.reason?.isEmpty == false)
            let row = try #require(try await logRows(gateway).first { $0.route == "/realtime" })
            #expect(row.status == 502)
            #expect(row.error?.contains("1011") == true)
        }
    }

    @Test func aClientThatNeverReadsIsClosedWith1008() async throws {
        try await withRealtime { port, _, gateway, mock in
            _ = try? await Self.connect(port) { _, outbound, _ in
                try await outbound.write(.text(#"{"type":"mock.flood","count":600,"size":65536}"#))
                // Never read: wait until the upstream hears the gateway give up on this client.
                for _ in 0..<1500 where mock.received.withLockedValue({ $0.closeCodes.isEmpty }) {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(mock.received.withLockedValue { $0.closeCodes } == [1008])
            let row = try #require(try await logRows(gateway).first { $0.route == "/realtime" })
            #expect(row.error?.contains("1008") == true)
        }
    }

    // MARK: limits

    @Test func anOpenSessionHoldsOneOfItsKeysConcurrencyPlacesUntilItEnds() async throws {
        try await withRealtime { port, client, _, _ in
            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"one-session","max_concurrency":1}"#)
            let headers: HTTPFields = [.authorization: "Bearer \(key)"]
            let opened = NIOLockedValueBox(false)
            let release = NIOLockedValueBox(false)
            let first = Task {
                try await Self.connect(port, headers: headers) { inbound, outbound, _ in
                    _ = try await Self.firstText(inbound)
                    opened.withLockedValue { $0 = true }
                    while !release.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            for _ in 0..<500 where !opened.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(opened.withLockedValue { $0 })
            let refused = try await Self.refusal(client, model: "rt", key: key)
            #expect(refused.status == .tooManyRequests)
            release.withLockedValue { $0 = true }
            _ = try await first.value
            // The place comes back when the session's row is written, just after its close handshake.
            var reopened = false
            for _ in 0..<50 where !reopened {
                let got = NIOLockedValueBox<String?>(nil)
                _ = try? await Self.connect(port, headers: headers) { inbound, outbound, _ in
                    let text = try await Self.firstText(inbound)
                    got.withLockedValue { $0 = text }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                reopened = got.withLockedValue { $0 }?.contains("session.created") == true
                if !reopened { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(reopened)
        }
    }

    // MARK: shutdown

    /// SIGTERM on the real `chorus serve`: an open session is closed with 1001 at once (not after the grace period)
    /// and its row is written before the process exits.
    @Test func stoppingTheGatewayClosesOpenSessionsWith1001AndWritesTheirRows() async throws {
        let binary = try ShutdownTests.chorusBinary()
        let mock = MockRealtimeUpstream()
        try await mock.run {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-rt-stop-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let port = try await ShutdownTests.freePort()
            let database = dir.appendingPathComponent("chorus.sqlite").path
            let configPath = dir.appendingPathComponent("chorus.yaml").path
            try """
                server: {host: 127.0.0.1, port: \(port), shutdown_grace_seconds: 20}
                database: \(database)
                voices_dir: \(dir.appendingPathComponent("voices").path)
                media_dir: \(dir.appendingPathComponent("media").path)
                providers:
                  rtmock: {type: openai, base_url: 'http://127.0.0.1:\(mock.port)/v1', api_key: \(Self.upstreamKey)}
                models:
                  - {name: rt, provider: rtmock, model: gpt-realtime, capabilities: [realtime]}
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--config", configPath]
            process.environment = ["CHORUS_MASTER_KEY": masterKey, "PATH": "/usr/bin:/bin"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            var ready = false
            for _ in 0..<200 where !ready {
                ready = await ShutdownTests.canConnect(port: port)
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            try #require(ready)

            let opened = NIOLockedValueBox(false)
            let session = Task {
                try await Self.connect(port) { inbound, _, _ in
                    var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                    _ = try await Self.nextText(&messages)
                    opened.withLockedValue { $0 = true }
                    while try await messages.next() != nil {}
                }
            }
            for _ in 0..<500 where !opened.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            try #require(opened.withLockedValue { $0 })
            let signalled = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)
            let close = try await session.value
            #expect(close.map { UInt16(webSocketErrorCode: $0.closeCode) } == 1001)
            #expect(ContinuousClock.now - signalled < .seconds(2))
            while process.isRunning, ContinuousClock.now - signalled < .seconds(25) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!process.isRunning)
            #expect(mock.received.withLockedValue { $0.closeCodes } == [1001])
            let rows = try await openStorage(database: database).recentUsage(limit: 20).filter { $0.route == "/realtime" }
            #expect(rows.count == 1)
            #expect(rows.first?.error?.contains("1001") == true)
        }
    }

    // MARK: leaks

    @Test func aThousandSessionsOpenedAndDroppedLeaveNoSocketsOrSessionsBehind() async throws {
        try await withRealtime { port, _, gateway, mock in
            let before = Self.openFileDescriptors()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.churn {
                    if index >= 10 { try await group.next() }
                    group.addTask {
                        struct Drop: Error {}
                        _ = try? await Self.connect(port) { inbound, outbound, _ in
                            _ = try await Self.firstText(inbound)
                            // Half close properly, half drop out with an error (1011 from the client's side).
                            if index.isMultiple(of: 2) { try await outbound.close(.normalClosure, reason: nil) } else { throw Drop() }
                        }
                    }
                }
                try await group.waitForAll()
            }
            for _ in 0..<300 where RealtimeRelay.openCount > 0 || mock.received.withLockedValue({ $0.open }) > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(RealtimeRelay.openCount == 0)
            #expect(mock.received.withLockedValue { $0.open } == 0)
            #expect(mock.received.withLockedValue { $0.opened } == Self.churn)
            #expect(gateway.connections.openCount <= 1)
            var after = Self.openFileDescriptors()
            for _ in 0..<100 where after > before + 4 {
                try await Task.sleep(for: .milliseconds(20))
                after = Self.openFileDescriptors()
            }
            #expect(after <= before + 4, "file descriptors: \(before) before, \(after) after")
            let rows = try await logRows(gateway, atLeast: Self.churn).filter { $0.route == "/realtime" }
            #expect(rows.count == Self.churn)
        }
    }

    /// Sessions the churn test opens and drops (the issue's figure), ten at a time.
    static let churn = 1000

    static func openFileDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
