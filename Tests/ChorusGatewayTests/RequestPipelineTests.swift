@testable import ChorusGateway
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// What every request goes through before its route: the trace (request id, one log line), authentication,
/// error shaping, and the provider facets a route asks for.
@Suite struct RequestPipelineTests {
    @Test func everyRequestLogsOneLineThatNeverHoldsTheKey() async throws {
        let logs = CapturedLogs()
        let config = testConfig(upstreamPort: 1)
        let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: logs.logger())
        let (key, record) = try await gateway.services.store.createKey(name: "logged", rpm: nil, models: nil, expiresAt: nil)
        let bogus = "sk-chorus-not-a-real-key-0123456789"
        let collected = NIOLockedValueBox<[String]>([])
        try await gateway.application.test(.live) { client in
            let calls: [(String, HTTPRequest.Method, String?)] = [
                ("/v1/models", .get, key), ("/v1/models", .get, bogus), ("/v1/no-such-route", .get, key),
                ("/health", .get, nil), ("/admin/keys", .get, key), ("/v1/audio/speech", .post, key),
            ]
            for (uri, method, presented) in calls {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let presented { headers[.authorization] = "Bearer \(presented)" }
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: "{"))
                let id = try #require(response.headers[HTTPField.Name("x-request-id")!], "\(uri) has no x-request-id")
                collected.withLockedValue { $0.append(id) }
            }
        }
        let requestIDs = collected.withLockedValue { $0 }
        let requestLines = logs.all.filter { $0.message == "request" }
        for id in requestIDs {
            let lines = requestLines.filter { $0.metadata["chorus.request.id"] == id }
            #expect(lines.count == 1, "request \(id) has \(lines.count) log lines")
            for field in ["chorus.method", "chorus.route", "chorus.status", "chorus.duration_ms"] {
                #expect(lines.first?.metadata[field] != nil, "\(field) missing for \(id)")
            }
        }
        let authenticated = requestLines.first { $0.metadata["chorus.route"] == "/models" && $0.metadata["chorus.status"] == "200" }
        #expect(authenticated?.metadata["chorus.key_id"] == String(record.id))
        for line in logs.all {
            let text = line.message + line.metadata.values.joined(separator: " ")
            #expect(!text.contains(key) && !text.contains(bogus) && !text.contains(masterKey), "a log line holds a key: \(text)")
        }
        try? FileManager.default.removeItem(atPath: config.database)
    }

    /// The log line's duration is written with one decimal, as `%.1f` wrote it, without Foundation's formatter.
    @Test(arguments: [(947.66, "947.7"), (0.04, "0.0"), (12, "12.0"), (0.96, "1.0"), (-3.21, "-3.2"), (123456.789, "123456.8")])
    func logDurationsHaveOneDecimal(value: Double, text: String) {
        #expect(RequestTrace.tenths(value) == text)
        #expect(text == String(format: "%.1f", value))
    }

    @Test func internalErrorAnswers500WithTheRequestIDAndNoInternalText() async throws {
        try await withGateway { client, gateway, _ in
            try await dropTable("voices", of: gateway)
            let id = "voice_" + String(repeating: "b", count: 24)
            let response = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(masterKey))
            #expect(response.status == .internalServerError)
            let requestID = try #require(response.headers[HTTPField.Name("x-request-id")!])
            let error = try errorBody(response)
            #expect(error.message.contains("request id: \(requestID)"))
            for leak in ["SQLite", "voices", "SELECT", "table", config(gateway).database] {
                #expect(!String(buffer: response.body).contains(leak), "the 500 body holds '\(leak)'")
            }
            // The operator still gets the detail, in the usage row.
            let row = try #require(try await logRows(gateway).first { $0.requestID == requestID })
            // SQLite: "no such table: voices"; PostgreSQL: relation "voices" does not exist.
            #expect(row.error?.contains("no such table") == true || row.error?.contains("does not exist") == true, "\(row.error ?? "")")
        }
    }

    func config(_ gateway: Gateway) -> GatewayConfig { gateway.services.config }

    @Test func aProviderWithoutTheFacetAnswers501NamingIt() async throws {
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            var sd = ProviderConfig(name: "sd", type: .sdwebui)
            sd.baseURL = "http://127.0.0.1:\(port)"
            config.providers.append(sd)
            config.models += [
                ModelConfig(name: "sd-speech", provider: "sd", model: "default", capabilities: [.speech]),
                ModelConfig(name: "local-chat", provider: "local", model: "espeak", capabilities: [.chat]),
            ]
            return config
        }) { client, _, mock in
            let speech = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                  body: ByteBuffer(string: #"{"model":"sd-speech","input":"hi","voice":"alloy"}"#))
            #expect(speech.status == .notImplemented)
            #expect(try errorBody(speech).message.contains("Provider 'sd'"))
            #expect(try errorBody(speech).code == "capability_not_supported")
            let chat = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                body: ByteBuffer(string: #"{"model":"local-chat","messages":[]}"#))
            #expect(chat.status == .notImplemented)
            #expect(try errorBody(chat).message.contains("Provider 'local'"))
            #expect(mock.received.isEmpty, "no provider was contacted")
        }
    }

    @Test func speechUpstreamFailingBeforeItsFirstByteIs502NamingTheProvider() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model":"wav-tts","input":"hi","voice":"cutoff","response_format":"mp3"}"#))
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).message.contains("Provider 'wavonly'"))
        }
    }

    @Test func adminRoutesRefuseAValidNonMasterKey() async throws {
        try await withGateway { client, gateway, _ in
            let (key, _) = try await gateway.services.store.createKey(name: "plain", rpm: nil, models: nil, expiresAt: nil)
            let response = try await client.execute(uri: "/admin/logs", method: .get, headers: bearer(key))
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).message.contains("master key"))
        }
    }
}
