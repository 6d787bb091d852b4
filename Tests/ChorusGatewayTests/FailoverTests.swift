import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A chat upstream whose answers follow a script: each request takes the next entry (then 200s). `cutStream`
/// starts an SSE answer and drops the connection after two events.
final class ScriptedUpstream: Sendable {
    enum Step: Sendable, Equatable {
        case status(Int, retryAfter: Int? = nil)
        case cutStream
    }

    private let state: NIOLockedValueBox<(script: [Step], requests: [String])>

    init(_ script: [Step] = []) { state = NIOLockedValueBox((script, [])) }

    /// The `model` of each request received, in order.
    var requests: [String] { state.withLockedValue { $0.requests } }

    var application: some ApplicationProtocol {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ in try await self.answer(request) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func answer(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        let model = json["model"] as? String ?? "?"
        let step: Step = state.withLockedValue { state in
            state.requests.append(model)
            return state.script.isEmpty ? .status(200) : state.script.removeFirst()
        }
        let stream = json["stream"] as? Bool == true
        switch step {
        case .status(200, _):
            if stream {
                let events = ["data: {\"choices\":[{\"delta\":{\"content\":\"from \(model)\"}}]}\n\n", "data: [DONE]\n\n"]
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(contentsOf: events.map { ByteBuffer(string: $0) }))
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: MockUpstream.chatJSON(model: model))))
        case .status(let code, let retryAfter):
            var headers: HTTPFields = [.contentType: "application/json"]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            let error = #"{"error":{"message":"scripted \#(code)","type":"server_error","param":null,"code":null}}"#
            return Response(status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(string: error)))
        case .cutStream:
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init { writer in
                try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\n"))
                try await Task.sleep(for: .milliseconds(50))
                try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\n\n"))
                try await Task.sleep(for: .milliseconds(50))
                throw CancellationError()
            })
        }
    }
}

@Suite struct FailoverTests {
    /// Providers: `down` (nothing listens), `flaky` (the scripted upstream), `backup` (the ordinary mock).
    static func config(mockPort: Int, scriptedPort: Int, downPort: Int, change: (inout GatewayConfig) -> Void = { _ in }) -> GatewayConfig {
        var config = testConfig(upstreamPort: mockPort)
        func provider(_ name: String, port: Int) -> ProviderConfig {
            var provider = ProviderConfig(name: name, type: .openai)
            provider.baseURL = "http://127.0.0.1:\(port)/v1"
            provider.connectTimeout = 2
            provider.timeout = 10
            return provider
        }
        config.providers += [provider("down", port: downPort), provider("flaky", port: scriptedPort)]
        config.models += [
            ModelConfig(name: "primary", provider: "down", model: "primary-upstream", fallbacks: ["secondary"]),
            ModelConfig(name: "secondary", provider: "mock", model: "secondary-upstream"),
            ModelConfig(name: "flaky-chat", provider: "flaky", model: "flaky-upstream", fallbacks: ["secondary"]),
            ModelConfig(name: "flaky-only", provider: "flaky", model: "flaky-upstream"),
            ModelConfig(name: "down-only", provider: "down", model: "down-upstream"),
            ModelConfig(name: "down-tts", provider: "down", model: "tts", fallbacks: ["wav-tts"]),
            ModelConfig(name: "down-stt", provider: "down", model: "stt", fallbacks: ["verbose-stt"]),
        ]
        change(&config)
        return config
    }

    func withFailover(
        script: [ScriptedUpstream.Step] = [], change: @escaping @Sendable (inout GatewayConfig) -> Void = { _ in },
        _ body: @Sendable (any TestClientProtocol, Gateway, ScriptedUpstream, MockUpstream) async throws -> Void
    ) async throws {
        let scripted = ScriptedUpstream(script)
        let down = try LoopbackSocket(listening: false)
        let downPort = down.port
        defer { withExtendedLifetime(down) {} }
        try await scripted.application.test(.live) { scriptedClient in
            let scriptedPort = scriptedClient.port ?? 0
            try await withGateway(config: { Self.config(mockPort: $0, scriptedPort: scriptedPort, downPort: downPort, change: change) }) { client, gateway, mock in
                try await body(client, gateway, scripted, mock)
            }
        }
    }

    func chat(_ client: any TestClientProtocol, model: String, stream: Bool = false) async throws -> TestResponse {
        try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                 body: ByteBuffer(string: #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#))
    }

    @Test func modelWhoseProviderIsDownAnswersFromItsFallbackAndTheRowNamesBoth() async throws {
        try await withFailover { client, gateway, _, mock in
            let response = try await chat(client, model: "primary")
            #expect(response.status == .ok)
            // The fallback's own upstream name is sent, not the name the caller asked for.
            #expect(String(buffer: response.body).contains("secondary-upstream"))
            #expect(mock.lastReceived?.body.contains("\"model\":\"secondary-upstream\"") == true)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 200)
            #expect(row.model == "secondary" && row.provider == "mock")
            #expect(row.tried == "primary (down): unreachable")
        }
    }

    @Test func streamedCallFallsBackWhenItsProviderFailsBeforeTheFirstByte() async throws {
        try await withFailover(script: [.status(503)]) { client, gateway, scripted, mock in
            let response = try await chat(client, model: "flaky-chat", stream: true)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).hasSuffix("data: [DONE]\n\n"))
            #expect(scripted.requests == ["flaky-upstream"])
            #expect(mock.received.count == 1)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "secondary" && row.tried == "flaky-chat (flaky): answered 503")
        }
    }

    @Test func flowingStreamIsNeverReplayed() async throws {
        try await withFailover(script: [.cutStream]) { client, gateway, scripted, mock in
            // The caller's stream breaks off (the upstream dropped it after two events): it is not re-sent elsewhere.
            _ = try? await chat(client, model: "flaky-chat", stream: true)
            #expect(scripted.requests.count == 1)
            #expect(mock.received.isEmpty, "the fallback must not be asked once the stream has started")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "flaky-chat" && row.tried == nil)
            #expect(row.error?.contains("mid-response") == true)
        }
    }

    @Test func callerErrorsArePassedThroughWithoutRetryOrFallback() async throws {
        try await withFailover(script: [.status(400)], change: { config in
            if let index = config.providers.firstIndex(where: { $0.name == "flaky" }) { config.providers[index].retries = 3 }
        }) { client, _, scripted, mock in
            let response = try await chat(client, model: "flaky-chat")
            #expect(response.status == .badRequest)
            #expect(String(buffer: response.body).contains("scripted 400"))
            #expect(scripted.requests.count == 1)
            #expect(mock.received.isEmpty)
        }
    }

    @Test func retriesRepeatA503OnTheSameProviderBeforeFallingBack() async throws {
        try await withFailover(script: [.status(503), .status(429, retryAfter: 0)], change: { config in
            if let index = config.providers.firstIndex(where: { $0.name == "flaky" }) {
                config.providers[index].retries = 2
                config.providers[index].retryBackoff = 0.01
            }
        }) { client, gateway, scripted, mock in
            let response = try await chat(client, model: "flaky-chat")
            #expect(response.status == .ok)
            #expect(scripted.requests.count == 3)
            #expect(mock.received.isEmpty)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "flaky-chat" && row.tried == nil)
            let metrics = String(decoding: gateway.services.metrics.text(), as: UTF8.self)
            #expect(metrics.contains("chorus_upstream_retries_total{provider=\"flaky\"} 2"))
        }
    }

    @Test func lastCandidatesErrorAnswerReachesTheCallerAsItIs() async throws {
        try await withFailover(script: [.status(500)]) { client, _, scripted, _ in
            let response = try await chat(client, model: "flaky-only")
            #expect(response.status == .internalServerError)
            #expect(String(buffer: response.body).contains("scripted 500"))
            #expect(scripted.requests.count == 1)
        }
    }

    // The cooldown is long here: on a loaded machine the two failing calls can take seconds, and a short cooldown
    // would lapse before the third call (the probe case has its own test below).
    @Test func openCircuitAnswers503WithRetryAfterAndIsNotCalled() async throws {
        try await withFailover(script: [.status(500), .status(502)], change: { config in
            if let index = config.providers.firstIndex(where: { $0.name == "flaky" }) {
                config.providers[index].circuitBreakerFailures = 2
                config.providers[index].circuitBreakerCooldown = 120
            }
        }) { client, gateway, scripted, _ in
            #expect(try await chat(client, model: "flaky-only").status == .internalServerError)
            #expect(try await chat(client, model: "flaky-only").status == .badGateway)
            let refused = try await chat(client, model: "flaky-only")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { (1...120).contains($0) } == true)
            #expect(try errorBody(refused).message.contains("Provider 'flaky' is unavailable"))
            #expect(scripted.requests.count == 2, "an open circuit is not called")

            let health = try await client.execute(uri: "/health", method: .get)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: health.body)) as? [String: Any])
            #expect(json["status"] as? String == "degraded")
            let flaky = try #require((json["providers"] as? [String: Any])?["flaky"] as? [String: Any])
            #expect(flaky["state"] as? String == "open")
            #expect(flaky["last_error"] as? String == "answered 502")
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(String(buffer: metrics.body).contains("chorus_provider_circuit_state{provider=\"flaky\"} 1"))
            let rows = try await logRows(gateway, atLeast: 3)
            #expect(rows.contains { $0.status == 503 && $0.tried == "flaky-only (flaky): circuit open" })
        }
    }

    @Test func aProbeAfterTheCooldownClosesTheCircuit() async throws {
        try await withFailover(script: [.status(500), .status(502)], change: { config in
            if let index = config.providers.firstIndex(where: { $0.name == "flaky" }) {
                config.providers[index].circuitBreakerFailures = 2
                config.providers[index].circuitBreakerCooldown = 0.5
            }
        }) { client, _, scripted, _ in
            #expect(try await chat(client, model: "flaky-only").status == .internalServerError)
            #expect(try await chat(client, model: "flaky-only").status == .badGateway)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await chat(client, model: "flaky-only").status == .ok)
            #expect(scripted.requests.count == 3)
            let after = try await client.execute(uri: "/health", method: .get)
            #expect(String(buffer: after.body).contains("\"status\":\"ok\""))
        }
    }

    @Test func openCircuitSendsItsModelsStraightToTheirFallbacks() async throws {
        try await withFailover(change: { config in
            if let index = config.providers.firstIndex(where: { $0.name == "down" }) { config.providers[index].circuitBreakerFailures = 1 }
        }) { client, gateway, _, _ in
            #expect(try await chat(client, model: "down-only").status == .badGateway)
            let response = try await chat(client, model: "primary")
            #expect(response.status == .ok)
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.model == "secondary" })
            #expect(row.tried == "primary (down): circuit open")
        }
    }

    @Test func speechFallsBackToAnotherProvider() async throws {
        try await withFailover { client, gateway, _, _ in
            let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model":"down-tts","input":"Hello","voice":"alloy","response_format":"wav"}"#))
            #expect(response.status == .ok)
            #expect(Array(response.body.readableBytesView.prefix(4)) == Array("RIFF".utf8))
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "wav-tts" && row.provider == "wavonly" && row.tried == "down-tts (down): unreachable")
        }
    }

    @Test func transcriptionFallsBackToAnotherProvider() async throws {
        try await withFailover { client, gateway, _, _ in
            let audio = try await TranscriptionRouteTests.spoken(client, format: "wav")
            let (headers, body) = TranscriptionRouteTests.upload(model: "down-stt", file: audio, filename: "speech.wav")
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/audio/transcriptions" })
            #expect(row.model == "verbose-stt" && row.tried == "down-stt (down): unreachable")
        }
    }

    @Test func fallbackTheKeyMayNotUseIsSkipped() async throws {
        try await withFailover { client, _, _, mock in
            let created = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"name":"only-primary","models":["primary"]}"#))
            let key = try #require((try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any])?["key"] as? String)
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key),
                                                    body: ByteBuffer(string: #"{"model":"primary","messages":[]}"#))
            #expect(response.status == .badGateway)
            #expect(mock.received.isEmpty)
        }
    }
}

@Suite struct CircuitBreakerConfigTests {
    @Test func fallbackNamingAnUnknownModelIsAConfigError() {
        let yaml = "providers: {p: {type: builtin}}\nmodels:\n  - {name: a, provider: p, fallbacks: [nope]}\n"
        #expect(throws: (any Error).self) { try ConfigLoader(environment: [:]).parse(yaml, file: "t.yaml") }
        let own = "providers: {p: {type: builtin}}\nmodels:\n  - {name: a, provider: p, fallbacks: [a]}\n"
        #expect(throws: (any Error).self) { try ConfigLoader(environment: [:]).parse(own, file: "t.yaml") }
    }
}
