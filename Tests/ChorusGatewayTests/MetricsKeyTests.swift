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
        let logs = CapturedLogs()
        let mock = MockUpstream()
        try await mock.application.test(.live) { upstream in
            var config = testConfig(upstreamPort: upstream.port ?? 0)
            config.server.metricsKey = Self.key
            let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey],
                                           logger: logs.logger(level: .trace))
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
        let logged = logs.text
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
