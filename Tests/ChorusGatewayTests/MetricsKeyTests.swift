import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// `server.metrics_key`: with it, `/metrics` answers only `Authorization: Bearer <key>`; without it, anyone.
@Suite struct MetricsKeyTests {
    static let key = "metrics-secret-4f9a1c"

    @Test func metricsNeedTheBearerKeyWhenOneIsSetAndTheKeyIsNeverLogged() async throws {
        let lines = LogCapture()
        let mock = MockUpstream()
        try await mock.application.test(.live) { upstream in
            var config = testConfig(upstreamPort: upstream.port ?? 0)
            config.server.metricsKey = Self.key
            let gateway = try buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey],
                                           logger: Logger(label: "test") { _ in lines.handler() })
            try await gateway.application.test(.live) { client in
                let missing = try await client.execute(uri: "/metrics", method: .get)
                #expect(missing.status == .unauthorized)
                #expect(try errorBody(missing).type == "authentication_error")
                #expect(try errorBody(missing).code == "missing_api_key")

                for wrong in ["Bearer wrong-key", "Bearer \(Self.key)x", "Basic \(Self.key)", Self.key, "Bearer \(masterKey)"] {
                    let response = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: wrong])
                    #expect(response.status == .unauthorized, "\(wrong)")
                    #expect(try errorBody(response).code == "invalid_api_key")
                    #expect(!String(buffer: response.body).contains(Self.key))
                }

                let allowed = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.key)"])
                #expect(allowed.status == .ok)
                #expect(String(buffer: allowed.body).contains("chorus_connections_open"))
                // Other routes are unaffected: /health needs nothing.
                #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            }
        }
        let logged = lines.all.joined(separator: "\n")
        #expect(logged.contains("/metrics"), "the requests were logged")
        #expect(!logged.contains(Self.key), "the metrics key reached a log line")
    }

    @Test func metricsAreOpenWithoutAKey() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
        }
    }
}

/// Every log line (message and metadata) a logger wrote, for checks on what reaches the log.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    func handler() -> some LogHandler { Handler(capture: self) }

    fileprivate func append(_ line: String) { lines.withLockedValue { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            capture.append("\(level) \(message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        }
    }
}
