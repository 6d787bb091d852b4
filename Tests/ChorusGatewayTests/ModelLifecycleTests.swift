import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import Testing

/// A model with a `shutdown_date`: listed with its date and replacement, every answer for it carries `Deprecation`
/// and `Sunset` before the date, and from the date on its calls are remapped to the replacement or refused with 410.
/// The gateway's clock is the test's: it is moved past the date, never waited for.
@Suite struct ModelLifecycleTests {
    /// 2027-01-06 00:00:00 UTC, a Wednesday.
    static let shutdown = Date(timeIntervalSince1970: 1_799_193_600)
    /// 2026-12-01 00:00:00 UTC.
    static let announced = Date(timeIntervalSince1970: 1_796_083_200)
    static let before = Date(timeIntervalSince1970: 1_796_428_800)  // 2026-12-05
    static let after = shutdown.addingTimeInterval(3600)
    static let sunset = "Wed, 06 Jan 2027 00:00:00 GMT"
    static let deprecation = HTTPField.Name("Deprecation")!
    static let sunsetHeader = HTTPField.Name("Sunset")!
    static let remapped = HTTPField.Name("x-chorus-model-remapped")!

    /// A clock the test moves.
    final class TestClock: Sendable {
        private let time: NIOLockedValueBox<Date>
        init(_ date: Date) { time = NIOLockedValueBox(date) }
        func set(_ date: Date) { time.withLockedValue { $0 = date } }
        var now: @Sendable () -> Date { { self.time.withLockedValue { $0 } } }
    }

    static func lifecycle(_ name: String, provider: String = "mock", model: String = "upstream-model",
                          capabilities: Set<Capability>? = nil, replacement: String? = nil,
                          onShutdown: ShutdownAction = .refuse, deprecatedSince: Date? = nil) -> ModelConfig {
        var config = ModelConfig(name: name, provider: provider, model: model, capabilities: capabilities)
        config.shutdownDate = shutdown
        config.deprecatedSince = deprecatedSince
        config.replacement = replacement
        config.onShutdown = onShutdown
        return config
    }

    /// The test config plus models with lifecycles: remapped to another mock model, to the embedded engine, along a
    /// chain, refused with and without a replacement.
    static func config(port: Int) -> GatewayConfig {
        var config = testConfig(upstreamPort: port)
        config.models += [
            lifecycle("sunset-chat", model: "old-upstream", replacement: "gpt-test", onShutdown: .remap),
            lifecycle("sunset-refuse", replacement: "gpt-test"),
            lifecycle("sunset-bare"),
            lifecycle("sunset-fail", model: "fail", deprecatedSince: announced),
            lifecycle("sunset-any"),
            lifecycle("sunset-tts", provider: "wavonly", model: "upstream-tts", capabilities: [.speech],
                      replacement: "local-tts", onShutdown: .remap),
            lifecycle("chain-a", replacement: "chain-b", onShutdown: .remap),
            lifecycle("chain-b", replacement: "gpt-alias"),
            lifecycle("to-speech", replacement: "local-tts", onShutdown: .remap),
        ]
        var deprecatedOnly = ModelConfig(name: "deprecated-only", provider: "mock", model: "upstream-model")
        deprecatedOnly.deprecatedSince = announced
        config.models.append(deprecatedOnly)
        return config
    }

    func chat(_ client: any TestClientProtocol, model: String, key: String = masterKey) async throws -> TestResponse {
        try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key),
                                 body: ByteBuffer(string: #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#))
    }

    /// The JSON body the mock provider last received.
    func sentJSON(_ mock: MockUpstream) throws -> [String: Any] {
        let received = try #require(mock.lastReceived)
        return try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func modelListShowsShutdownDateAndReplacement() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.before).now) { client, _, _ in
            let list = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
            #expect(list.status == .ok)
            let data = try #require(try json(list)["data"] as? [[String: Any]])
            let byID = Dictionary(data.map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            let chat = try #require(byID["sunset-chat"])
            #expect(chat["shutdown_date"] as? String == "2027-01-06")
            #expect(chat["replacement"] as? String == "gpt-test")
            let bare = try #require(byID["sunset-bare"])
            #expect(bare["shutdown_date"] as? String == "2027-01-06")
            #expect(bare["replacement"] == nil)
            let plain = try #require(byID["gpt-test"])
            #expect(plain["shutdown_date"] == nil && plain["replacement"] == nil)
            #expect(list.headers[Self.deprecation] == nil, "the list is about no one model")

            let one = try await client.execute(uri: "/v1/models/sunset-chat", method: .get, headers: bearer(masterKey))
            #expect(one.status == .ok)
            #expect(try json(one)["shutdown_date"] as? String == "2027-01-06")
            #expect(try json(one)["replacement"] as? String == "gpt-test")
            #expect(one.headers[Self.sunsetHeader] == Self.sunset)
        }
    }

    @Test func answersBeforeTheShutdownDateCarryDeprecationAndSunset() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.before).now) { client, gateway, mock in
            let response = try await chat(client, model: "sunset-chat")
            #expect(response.status == .ok)
            // RFC 9745: a structured-field date, here the shutdown date itself (no deprecated_since).
            #expect(response.headers[Self.deprecation] == "@1799193600")
            #expect(response.headers[Self.sunsetHeader] == Self.sunset)
            #expect(response.headers[Self.remapped] == nil)
            #expect(response.headers[values: Self.deprecation].count == 1)
            let sent = try sentJSON(mock)
            #expect(sent["model"] as? String == "old-upstream", "served by itself before the date")

            // Deprecated with no shutdown date announced: Deprecation alone.
            let deprecated = try await chat(client, model: "deprecated-only")
            #expect(deprecated.status == .ok)
            #expect(deprecated.headers[Self.deprecation] == "@1796083200")
            #expect(deprecated.headers[Self.sunsetHeader] == nil)

            let plain = try await chat(client, model: "gpt-test")
            #expect(plain.status == .ok)
            #expect(plain.headers[Self.deprecation] == nil && plain.headers[Self.sunsetHeader] == nil)

            let rows = try await logRows(gateway, atLeast: 3)
            let row = try #require(rows.first { $0.model == "sunset-chat" })
            #expect(row.status == 200 && row.tried == nil)
        }
    }

    @Test func errorAnswersBeforeTheShutdownDateCarryTheHeadersToo() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.before).now) { client, _, _ in
            // The provider's own error answer, passed through (429 from the mock's `fail` model).
            let upstreamError = try await chat(client, model: "sunset-fail")
            #expect(upstreamError.status == .tooManyRequests)
            #expect(upstreamError.headers[Self.deprecation] == "@1796083200", "deprecated_since, 2026-12-01")
            #expect(upstreamError.headers[Self.sunsetHeader] == Self.sunset)

            // An error Chorus makes: a speech model asked for a chat completion.
            let wrongRoute = try await chat(client, model: "sunset-tts")
            #expect(wrongRoute.status == .notImplemented)
            #expect(wrongRoute.headers[Self.deprecation] == "@1799193600")
            #expect(wrongRoute.headers[Self.sunsetHeader] == Self.sunset)
        }
    }

    /// Every route that takes a model: whatever the mock makes of the call (an answer, or its 404 for a route it
    /// does not serve, passed through), the answer says the model's lifecycle.
    @Test(arguments: ["chat/completions", "completions", "embeddings", "audio/speech", "audio/transcriptions",
                      "audio/translations", "images/generations"])
    func everyRouteCarriesTheLifecycleHeaders(route: String) async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.before).now) { client, _, _ in
            let headers: HTTPFields
            let body: ByteBuffer
            switch route {
            case "audio/transcriptions", "audio/translations":
                (headers, body) = TranscriptionRouteTests.upload(model: "sunset-any", file: MockUpstream.speechWAV, filename: "a.wav")
            case "audio/speech":
                (headers, body) = (bearer(masterKey), ByteBuffer(string: #"{"model":"sunset-any","input":"hi","voice":"alloy","response_format":"wav"}"#))
            case "images/generations":
                (headers, body) = (bearer(masterKey), ByteBuffer(string: #"{"model":"sunset-any","prompt":"a cat"}"#))
            case "embeddings":
                (headers, body) = (bearer(masterKey), ByteBuffer(string: #"{"model":"sunset-any","input":"hi"}"#))
            case "completions":
                (headers, body) = (bearer(masterKey), ByteBuffer(string: #"{"model":"sunset-any","prompt":"hi"}"#))
            default:
                (headers, body) = (bearer(masterKey), ByteBuffer(string: #"{"model":"sunset-any","messages":[{"role":"user","content":"hi"}]}"#))
            }
            let response = try await client.execute(uri: "/v1/" + route, method: .post, headers: headers, body: body)
            #expect(response.status.code < 500, "\(route): \(response.status) \(String(buffer: response.body))")
            #expect(response.headers[Self.deprecation] == "@1799193600", "\(route)")
            #expect(response.headers[Self.sunsetHeader] == Self.sunset, "\(route)")
        }
    }

    /// A provider that sends its own `Deprecation`/`Sunset` (about its model, on its own schedule) and rate limits
    /// (about Chorus's account): the caller gets one of each, Chorus's, about the model and the key it used.
    @Test func chorusHeadersReplaceTheProvidersOwn() async throws {
        let limit = HTTPField.Name("x-ratelimit-limit-requests")!
        let router = Router()
        router.post("/v1/chat/completions") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", Self.deprecation: "@1",
                                            Self.sunsetHeader: "Thu, 01 Jan 1970 00:00:00 GMT", limit: "5000"],
                     body: .init(byteBuffer: ByteBuffer(string: MockUpstream.chatJSON(model: "old-upstream"))))
        }
        let provider = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await provider.test(.live) { providerClient in
            let port = try #require(providerClient.port)
            try await withGateway(config: { _ in Self.config(port: port) }, now: TestClock(Self.before).now) { client, _, _ in
                let response = try await chat(client, model: "sunset-chat")
                #expect(response.status == .ok)
                #expect(response.headers[values: Self.deprecation] == ["@1799193600"])
                #expect(response.headers[values: Self.sunsetHeader] == [Self.sunset])

                let (key, _) = try await TenancyTests.createKey(client, #"{"name":"limited","rpm":100}"#)
                let limited = try await chat(client, model: "gpt-test", key: key)
                #expect(limited.status == .ok)
                #expect(limited.headers[values: limit] == ["100"])
            }
        }
    }

    @Test func chatFromTheShutdownDateIsServedByTheReplacement() async throws {
        let clock = TestClock(Self.before)
        try await withGateway(config: Self.config, now: clock.now) { client, gateway, mock in
            let served = try await chat(client, model: "sunset-chat")
            #expect(served.status == .ok)
            #expect(served.headers[Self.remapped] == nil)

            clock.set(Self.shutdown)  // midnight UTC of the shutdown date: shut down from that instant
            let response = try await chat(client, model: "sunset-chat")
            #expect(response.status == .ok)
            #expect(response.headers[Self.remapped] == "sunset-chat -> gpt-test")
            #expect(response.headers[Self.sunsetHeader] == Self.sunset, "the model asked for is still the one described")
            let sent = try sentJSON(mock)
            #expect(sent["model"] as? String == "upstream-model", "the replacement's upstream model")
            #expect(sent["temperature"] as? Double == 0.5, "the replacement's defaults")

            let rows = try await logRows(gateway, atLeast: 2)
            let row = try #require(rows.first)
            #expect(row.status == 200)
            #expect(row.model == "gpt-test", "the row names the model that answered")
            #expect(row.tried == "sunset-chat: shut down on 2027-01-06, remapped to gpt-test")
        }
    }

    @Test func speechFromTheShutdownDateIsServedByTheEmbeddedReplacement() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.after).now) { client, gateway, mock in
            let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                     body: ByteBuffer(string: #"{"model":"sunset-tts","input":"Hello again.","voice":"alloy","response_format":"wav"}"#))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "audio/wav")
            #expect(response.headers[Self.remapped] == "sunset-tts -> local-tts")
            let probed = try ffprobe(Array(buffer: response.body))
            #expect(probed.codec == "pcm_s16le" && probed.duration > 0.3, "\(probed)")
            #expect(mock.received.isEmpty, "the shut-down model's provider was not called")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 200)
            #expect(row.model == "local-tts" && row.provider == "local")
            #expect(row.tried == "sunset-tts: shut down on 2027-01-06, remapped to local-tts")
        }
    }

    @Test func remapFollowsReplacementsToAModelThatIsServed() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.after).now) { client, gateway, _ in
            let response = try await chat(client, model: "chain-a")
            #expect(response.status == .ok)
            #expect(response.headers[Self.remapped] == "chain-a -> gpt-alias")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "gpt-alias")
            #expect(row.tried == "chain-a: shut down on 2027-01-06, remapped to gpt-alias (via chain-b)")
        }
    }

    @Test func refusedFromTheShutdownDateIs410NamingTheDateAndTheReplacement() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.after).now) { client, gateway, mock in
            let response = try await chat(client, model: "sunset-refuse")
            #expect(response.status == .gone)
            let error = try errorBody(response)
            #expect(error.code == "model_shut_down")
            #expect(error.type == "invalid_request_error")
            #expect(error.param == "model")
            #expect(error.message == "The model 'sunset-refuse' was shut down on 2027-01-06. Use its replacement 'gpt-test' instead.")
            #expect(response.headers[Self.sunsetHeader] == Self.sunset)

            let bare = try await chat(client, model: "sunset-bare")
            #expect(bare.status == .gone)
            #expect(try errorBody(bare).message == "The model 'sunset-bare' was shut down on 2027-01-06. It has no replacement.")
            #expect(mock.received.isEmpty, "no provider is asked for a shut-down model")

            let rows = try await logRows(gateway, atLeast: 2)
            #expect(rows.count == 2)
            for row in rows {
                #expect(row.status == 410)
                #expect(row.model == "sunset-refuse" || row.model == "sunset-bare")
                #expect(row.error?.contains("shut down on 2027-01-06") == true)
            }
        }
    }

    /// A replacement the call cannot go to is a 410 saying why, not a call to a model the caller did not ask for.
    @Test func remapToAReplacementThatCannotTakeTheCallIs410() async throws {
        try await withGateway(config: Self.config, now: TestClock(Self.after).now) { client, _, mock in
            let wrongCapability = try await chat(client, model: "to-speech")
            #expect(wrongCapability.status == .gone)
            #expect(try errorBody(wrongCapability).message
                == "The model 'to-speech' was shut down on 2027-01-06. Its replacement 'local-tts' does not support chat completions.")

            let (key, _) = try await TenancyTests.createKey(client, #"{"name":"old-only","models":["sunset-chat"]}"#)
            let notAllowed = try await chat(client, model: "sunset-chat", key: key)
            #expect(notAllowed.status == .gone)
            #expect(try errorBody(notAllowed).message
                == "The model 'sunset-chat' was shut down on 2027-01-06. Its replacement 'gpt-test' is not available to this API key.")
            #expect(mock.received.isEmpty)
        }
    }

    // MARK: config

    static let twoModels = "providers:\n  p: {type: builtin}\nmodels:\n  - {name: a, provider: p"

    @Test func lifecycleKeysLoad() throws {
        let config = try ConfigLoader(environment: [:]).parse(
            Self.twoModels + ", shutdown_date: 2027-01-06, deprecated_since: 2026-12-01, replacement: b, on_shutdown: remap}\n"
                + "  - {name: b, provider: p}\n", file: "c.yaml")
        let model = try #require(config.models.first)
        #expect(model.shutdownDate == Self.shutdown)
        #expect(model.deprecatedSince == Self.announced)
        #expect(model.replacement == "b")
        #expect(model.onShutdown == .remap)
        #expect(config.models[1].onShutdown == .refuse, "refuse is the default")
    }

    @Test(arguments: [
        (", replacement: ghost}\n  - {name: b, provider: p}\n", "models[0].replacement", "unknown model 'ghost'", 4),
        (", replacement: a}\n  - {name: b, provider: p}\n", "models[0].replacement", "cannot be its own replacement", 4),
        (", replacement: b}\n  - {name: b, provider: p, replacement: c}\n  - {name: c, provider: p, replacement: a}\n",
         "models[0].replacement", "replacements form a cycle: a -> b -> c -> a", 4),
        (", shutdown_date: 2027-02-30}\n", "models[0].shutdown_date", "expected a date YYYY-MM-DD, got \"2027-02-30\"", 4),
        (", shutdown_date: soon}\n", "models[0].shutdown_date", "expected a date YYYY-MM-DD", 4),
        (", deprecated_since: 2027/01/01}\n", "models[0].deprecated_since", "expected a date YYYY-MM-DD", 4),
        (", shutdown_date: 2027-01-06, deprecated_since: 2027-02-01}\n", "models[0].deprecated_since", "must not be after shutdown_date", 4),
        (", shutdown_date: 2027-01-06, on_shutdown: remap}\n", "models[0].on_shutdown", "remap needs a replacement", 4),
        (", on_shutdown: refuse}\n", "models[0].on_shutdown", "has no effect without shutdown_date", 4),
        (", shutdown_date: 2027-01-06, on_shutdown: later}\n", "models[0].on_shutdown", "\"later\" is not one of remap, refuse", 4),
    ])
    func lifecycleConfigErrorsNameFileKeyPathAndLine(tail: String, keyPath: String, problem: String, line: Int) {
        do {
            _ = try ConfigLoader(environment: [:]).parse(Self.twoModels + tail, file: "conf/chorus.yaml")
            Issue.record("expected a ConfigError for \(tail)")
        } catch let error as ConfigError {
            #expect(error.file == "conf/chorus.yaml")
            #expect(error.keyPath == keyPath)
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.line == line, "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
