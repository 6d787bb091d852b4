import ChorusGateway
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A provider's `timeout` bounds whole non-streamed answers; a streamed answer is bounded by
/// `stream_idle_timeout` instead, so a long healthy stream is not cut and a stalled one still ends.
@Suite struct StreamTimeoutTests {
    static func config(timeout: Double, idle: Double) -> @Sendable (Int) -> GatewayConfig {
        { port in
            var config = testConfig(upstreamPort: port, timeout: timeout)
            config.providers[0].streamIdleTimeout = idle
            return config
        }
    }

    @Test func streamLongerThanTheTotalTimeoutArrivesWhole() async throws {
        let mock = MockUpstream(sseChunks: 6, sseInterval: .milliseconds(250))
        try await withGateway(config: Self.config(timeout: 0.5, idle: 10), mock: mock) { client, gateway, mock in
            let http = try UpstreamClient()
            let response = try await http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(try #require(client.port))/v1/chat/completions",
                headers: [("Authorization", "Bearer \(masterKey)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"long"}]}"#))))
            let body = try await response.body.collect(upTo: 1 << 20)
            await http.shutdown()
            #expect(response.status == 200)
            #expect(String(buffer: body) == mock.sseEvents(model: "upstream-model").joined())
            #expect(try await logRows(gateway).first?.error == nil)
        }
    }

    @Test func stalledStreamIsAbortedAfterTheIdleTimeoutWith504() async throws {
        try await withGateway(config: Self.config(timeout: 60, idle: 1)) { client, gateway, _ in
            let started = ContinuousClock.now
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model":"hang","stream":true,"messages":[]}"#))
            let elapsed = ContinuousClock.now - started
            #expect(response.status == .gatewayTimeout)
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(15), "\(elapsed)")
            #expect(try await logRows(gateway).first?.status == 504)
        }
    }
}
