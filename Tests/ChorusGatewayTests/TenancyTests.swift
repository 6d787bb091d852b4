import ChorusGateway
import ChorusMedia
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Many callers on one gateway: per-key rate and concurrency limits, the gateway's own rate, points charged per
/// media unit and admitted exactly under concurrency, and the admin keys API that shows them.
@Suite struct TenancyTests {
    static func priced(_ change: @escaping @Sendable (inout GatewayConfig) -> Void = { _ in }) -> @Sendable (Int) -> GatewayConfig {
        { port in
            var config = testConfig(upstreamPort: port)
            change(&config)
            return config
        }
    }

    static func setPrice(_ config: inout GatewayConfig, model: String, _ edit: (inout ModelPrice) -> Void) {
        guard let index = config.models.firstIndex(where: { $0.name == model }) else { return }
        var price = config.models[index].price ?? ModelPrice()
        edit(&price)
        config.models[index].price = price
    }

    static let chatBody = ByteBuffer(string: #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#)

    static func chat(_ client: any TestClientProtocol, key: String, model: String = "gpt-test") async throws -> TestResponse {
        try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key),
                                 body: ByteBuffer(string: #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#))
    }

    static func createKey(_ client: any TestClientProtocol, _ json: String) async throws -> (key: String, id: Int) {
        let response = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        return (try #require(object["key"] as? String), try #require(object["id"] as? Int))
    }

    static func showKey(_ client: any TestClientProtocol, _ id: Int) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/admin/keys/\(id)", method: .get, headers: bearer(masterKey))
        #expect(response.status == .ok)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    // MARK: rates

    @Test func keyLimitedTo5RPMGets429WithRetryAfterOnItsSixthCallAndTheHeadersCountDown() async throws {
        try await withGateway { client, _, _ in
            let (key, _) = try await Self.createKey(client, #"{"name":"five","rpm":5}"#)
            // The bucket refills one call every 12 s: on a machine so loaded that the calls take longer, a refill
            // may land in between, and the count is checked with that allowance.
            let start = ContinuousClock.now
            var remaining: [Int] = []
            for _ in 0..<5 {
                let response = try await Self.chat(client, key: key)
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "5")
                remaining.append(Int(response.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] ?? "") ?? -1)
                #expect(response.headers[HTTPField.Name("x-ratelimit-reset-requests")!]?.hasSuffix("s") == true)
            }
            let refills = Int((ContinuousClock.now - start) / .seconds(12))
            for (index, value) in remaining.enumerated() {
                #expect(value >= 4 - index && value <= 4 - index + refills, "\(remaining) after \(refills) refills")
            }
            var sixth = try await Self.chat(client, key: key)
            for _ in 0..<refills where sixth.status == .ok { sixth = try await Self.chat(client, key: key) }
            #expect(sixth.status == .tooManyRequests)
            #expect(try errorBody(sixth).code == "rate_limit_exceeded")
            #expect(Int(sixth.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // The refusal carries the headers too.
            #expect(sixth.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
            // The master key is not limited, and has no such headers.
            let master = try await Self.chat(client, key: masterKey)
            #expect(master.status == .ok)
            #expect(master.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == nil)
        }
    }

    @Test func globalRPMHoldsAllCallersTogetherButNotAdmin() async throws {
        try await withGateway(config: Self.priced { $0.server.globalRPM = 3 }) { client, _, _ in
            let (key, _) = try await Self.createKey(client, #"{"name":"any"}"#)
            #expect(try await Self.chat(client, key: key).status == .ok)
            #expect(try await Self.chat(client, key: masterKey).status == .ok)
            #expect(try await Self.chat(client, key: key).status == .ok)
            let fourth = try await Self.chat(client, key: masterKey)
            #expect(fourth.status == .tooManyRequests)
            #expect(try errorBody(fourth).code == "rate_limit_exceeded")
            #expect(try errorBody(fourth).message.contains("gateway"))
            #expect(fourth.headers[.retryAfter] != nil)
            let admin = try await client.execute(uri: "/admin/keys", method: .get, headers: bearer(masterKey))
            #expect(admin.status == .ok)
        }
    }

    @Test func maxConcurrencyRefusesTheCallPastItUntilTheOpenOneEnds() async throws {
        // The hanging call is held for 8 s (the provider's timeout): time enough on a loaded machine to see it open.
        try await withGateway(config: { testConfig(upstreamPort: $0, timeout: 8) }) { client, _, mock in
            let (key, _) = try await Self.createKey(client, #"{"name":"one-at-a-time","max_concurrency":1}"#)
            // On its own connection (the test client sends one request at a time).
            let http = try UpstreamClient()
            let port = try #require(client.port)
            async let hanging = http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
                headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"hang","messages":[]}"#)), timeout: 15))
            // Open once the provider holds it; a fixed pause raced a loaded machine.
            #expect(await eventually(within: 6) { mock.received.contains { $0.body.contains(#""model":"hang""#) } })
            let second = try await Self.chat(client, key: key)
            #expect(second.status == .tooManyRequests)
            #expect(try errorBody(second).code == "rate_limit_exceeded")
            #expect(try errorBody(second).message.contains("open"))
            let hung = try await hanging
            for try await _ in hung.body {}
            #expect(hung.status == 504)
            await http.shutdown()
            #expect(try await Self.chat(client, key: key).status == .ok, "the slot came back when the open call ended")
        }
    }

    // MARK: points

    @Test func fiftyConcurrentCallsAgainstABalanceForTenSucceedExactlyTen() async throws {
        let config = Self.priced { Self.setPrice(&$0, model: "gpt-test") { $0.perRequest = 1 } }
        try await withGateway(config: config) { client, _, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"ten","balance":10}"#)
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await Self.chat(client, key: key)
                        return (response.status, response.status == .ok ? nil : try errorBody(response).code)
                    }
                }
                var all: [(HTTPResponse.Status, String?)] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            #expect(statuses.filter { $0.0 == .ok }.count == 10)
            #expect(statuses.filter { $0.0 == .tooManyRequests && $0.1 == "insufficient_quota" }.count == 40)
            let shown = try await Self.showKey(client, id)
            #expect(shown["balance"] as? Double == 0)
            #expect(shown["spend"] as? Double == 10)
            let refused = try await Self.chat(client, key: key)
            #expect(try errorBody(refused).message.contains("No points remaining"))
        }
    }

    @Test func chatIsChargedPerTokenTheProviderReported() async throws {
        let config = Self.priced {
            Self.setPrice(&$0, model: "gpt-test") { price in
                price.per1kInputTokens = 1000   // 11 prompt tokens → 11
                price.per1kOutputTokens = 2000  // 3 completion tokens → 6
            }
        }
        try await withGateway(config: config) { client, gateway, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"tokens","balance":100}"#)
            #expect(try await Self.chat(client, key: key).status == .ok)
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/chat/completions" })
            #expect(row.cost == 17)
            let shown = try await Self.showKey(client, id)
            #expect(shown["balance"] as? Double == 83)
            #expect(shown["spend"] as? Double == 17)
        }
    }

    @Test func speechOf500CharactersAt2PerThousandCharactersCostsOnePoint() async throws {
        let config = Self.priced { Self.setPrice(&$0, model: "wav-tts") { $0.per1kCharacters = 2 } }
        try await withGateway(config: config) { client, gateway, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"speech"}"#)
            let input = String(repeating: "abcde ", count: 84).prefix(500)
            let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(key),
                                                    body: ByteBuffer(string: #"{"model":"wav-tts","input":"\#(input)","voice":"alloy","response_format":"wav"}"#))
            #expect(response.status == .ok)
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/audio/speech" })
            #expect(row.characters == 500)
            #expect(row.cost == 1)
            // A key without a balance is not refused, and still records what it spent.
            #expect(try await Self.showKey(client, id)["spend"] as? Double == 1)
        }
    }

    @Test func transcriptionOf90SecondsAtOnePerAudioMinuteCostsOneAndAHalf() async throws {
        let config = Self.priced { Self.setPrice(&$0, model: "verbose-stt") { $0.perAudioMinute = 1 } }
        try await withGateway(config: config) { client, gateway, _ in
            let (key, _) = try await Self.createKey(client, #"{"name":"stt","balance":5}"#)
            let samples = 16000 * 90
            let wav = try #require(WAVFile.header(sampleRate: 16000, sampleCount: samples)) + [UInt8](repeating: 0, count: samples * 2)
            var (headers, body) = TranscriptionRouteTests.upload(model: "verbose-stt", file: wav, filename: "ninety.wav")
            headers[.authorization] = "Bearer \(key)"
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/audio/transcriptions" })
            #expect(row.audioSeconds == 90)
            #expect(row.cost == 1.5)
        }
    }

    @Test func callsThatFailAreNotChargedAndGiveTheirHoldBack() async throws {
        let config = Self.priced { config in
            Self.setPrice(&config, model: "fail") { $0.perRequest = 2; $0.reserve = 3 }
        }
        try await withGateway(config: config) { client, gateway, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"failing","balance":5}"#)
            let response = try await Self.chat(client, key: key, model: "fail")
            #expect(response.status.code >= 400)
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/chat/completions" })
            #expect(row.cost == 0)
            let shown = try await Self.showKey(client, id)
            #expect(shown["balance"] as? Double == 5)
            #expect(shown["spend"] as? Double == 0)
            // 4 points cannot cover the 5 a call holds (per_request 2 + reserve 3).
            _ = try await client.execute(uri: "/admin/keys/\(id)", method: .patch, headers: bearer(masterKey),
                                         body: ByteBuffer(string: #"{"balance":4}"#))
            let refused = try await Self.chat(client, key: key, model: "fail")
            #expect(refused.status == .tooManyRequests)
            #expect(try errorBody(refused).code == "insufficient_quota")
        }
    }

    @Test func aStreamTheClientAbandonsIsStillChargedForWhatWasDelivered() async throws {
        let mock = MockUpstream(sseChunks: 40, sseInterval: .milliseconds(100))
        let config = Self.priced { Self.setPrice(&$0, model: "gpt-test") { $0.perRequest = 1; $0.per1kOutputTokens = 1000 } }
        try await withGateway(config: config, mock: mock) { client, gateway, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"leaver","balance":10}"#)
            _ = try await readTwoEventsThenHangUp(port: try #require(client.port), key: key,
                                                  body: #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"long"}]}"#)
            var row: LogRow?
            for _ in 0..<100 where row == nil {
                row = try await logRows(gateway, atLeast: 2).first { $0.route == "/chat/completions" }
                if row == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let abandoned = try #require(row)
            #expect(abandoned.status == 499)
            // The usage chunk never came: what is known is the request itself.
            #expect(abandoned.cost == 1)
            #expect(try await Self.showKey(client, id)["spend"] as? Double == 1)
        }
    }

    @Test func budgetSpentIsInsufficientQuotaUntilTheNextPeriod() async throws {
        let config = Self.priced { Self.setPrice(&$0, model: "gpt-test") { $0.perRequest = 1 } }
        try await withGateway(config: config) { client, _, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"budgeted","budget":2,"budget_period":"daily"}"#)
            #expect(try await Self.chat(client, key: key).status == .ok)
            #expect(try await Self.chat(client, key: key).status == .ok)
            let third = try await Self.chat(client, key: key)
            #expect(third.status == .tooManyRequests)
            #expect(try errorBody(third).code == "insufficient_quota")
            let wait = try #require(Int(third.headers[.retryAfter] ?? ""))
            #expect(wait >= 1 && wait <= 86400)
            let shown = try await Self.showKey(client, id)
            #expect(shown["period_spent"] as? Double == 2)
            #expect(shown["budget_period"] as? String == "daily")
        }
    }

    // MARK: keys

    @Test func keyModelsMayNameAConfigGroup() async throws {
        let config = Self.priced { $0.groups = ["cheap": ["gpt-alias"]] }
        try await withGateway(config: config) { client, _, _ in
            let (key, _) = try await Self.createKey(client, #"{"name":"grouped","models":["cheap"]}"#)
            #expect(try await Self.chat(client, key: key, model: "gpt-alias").status == .ok)
            #expect(try await Self.chat(client, key: key, model: "gpt-test").status == .forbidden)
        }
    }

    @Test func anUnknownModelIs404NamingAFewModelsTheKeyMayUse() async throws {
        try await withGateway { client, _, _ in
            let (key, _) = try await Self.createKey(client, #"{"name":"two","models":["gpt-alias","local-tts"]}"#)
            let typo = try await Self.chat(client, key: key, model: "gpt-aliass")
            #expect(typo.status == .notFound)
            let message = try errorBody(typo).message
            // Only what this key may use for chat: not local-tts (speech), not gpt-test (not allowed).
            #expect(message.hasSuffix("Models this key can use here: gpt-alias."), "\(message)")
            let master = try await Self.chat(client, key: masterKey, model: "nope")
            let listed = try errorBody(master).message
            #expect(listed.contains("Models this key can use here: ") && listed.contains("more (GET /v1/models)"), "\(listed)")
        }
    }

    @Test func patchChangesLimitsAtOnceAndRefusesWrongTypesNamingTheField() async throws {
        try await withGateway { client, _, _ in
            let (key, id) = try await Self.createKey(client, #"{"name":"patched","balance":0}"#)
            #expect(try await Self.chat(client, key: key).status == .tooManyRequests)
            let patched = try await client.execute(uri: "/admin/keys/\(id)", method: .patch, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"balance":null,"rpm":100,"name":"renamed"}"#))
            #expect(patched.status == .ok)
            #expect(String(buffer: patched.body).contains(#""name":"renamed""#))
            #expect(!String(buffer: patched.body).contains("sk-chorus-") || !String(buffer: patched.body).contains(key))
            #expect(try await Self.chat(client, key: key).status == .ok)

            for (body, field) in [(#"{"rpm":"fast"}"#, "rpm"), (#"{"balance":-1}"#, "balance"), (#"{"budget":1e12}"#, "budget"), (#"{"models":"all"}"#, "models"),
                                  (#"{"balance_reset":"hourly"}"#, "balance_reset"), (#"{"colour":"red"}"#, "colour")] {
                let response = try await client.execute(uri: "/admin/keys/\(id)", method: .patch, headers: bearer(masterKey),
                                                        body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response).param == field, "\(body)")
            }
            let unknown = try await client.execute(uri: "/admin/keys/99999", method: .patch, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"rpm":1}"#))
            #expect(unknown.status == .notFound)
            #expect(try await client.execute(uri: "/admin/keys/99999", method: .get, headers: bearer(masterKey)).status == .notFound)
            let notMaster = try await client.execute(uri: "/admin/keys/\(id)", method: .get, headers: bearer(key))
            #expect(notMaster.status == .unauthorized)
        }
    }
}
