import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

let masterKey = "sk-chorus-test-master-key"

/// A config pointing at the mock upstream on `port`, with a fresh SQLite file.
func testConfig(upstreamPort: Int, timeout: Double = 60) -> GatewayConfig {
    var config = GatewayConfig()
    config.database = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-test-\(UUID().uuidString).sqlite").path
    config.server.keyCacheSeconds = 0
    var provider = ProviderConfig(name: "mock", type: .openai)
    provider.baseURL = "http://127.0.0.1:\(upstreamPort)/v1"
    provider.apiKey = "sk-upstream-secret"
    provider.headers = [("X-Provider-Header", "yes")]
    provider.timeout = timeout
    provider.connectTimeout = 2
    provider.defaults = ["user": "chorus"]
    config.providers = [provider, ProviderConfig(name: "local", type: .builtin)]
    config.models = [
        ModelConfig(name: "gpt-test", provider: "mock", model: "upstream-model", defaults: ["temperature": .number("0.5")]),
        ModelConfig(name: "gpt-alias", provider: "mock", model: "upstream-model"),
        ModelConfig(name: "hang", provider: "mock", model: "hang"),
        ModelConfig(name: "fail", provider: "mock", model: "fail"),
        ModelConfig(name: "html", provider: "mock", model: "html"),
        ModelConfig(name: "local-tts", provider: "local", model: "espeak"),
    ]
    return config
}

/// Runs `body` with a live mock upstream and a live gateway in front of it.
func withGateway(
    config configure: @escaping @Sendable (Int) -> GatewayConfig = { testConfig(upstreamPort: $0) },
    mock: MockUpstream = MockUpstream(),
    _ body: @Sendable (any TestClientProtocol, Gateway, MockUpstream) async throws -> Void
) async throws {
    try await mock.application.test(.live) { upstreamClient in
        let config = configure(upstreamClient.port ?? 0)
        let gateway = try buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "test"))
        try await gateway.application.test(.live) { client in
            try await body(client, gateway, mock)
        }
        try? FileManager.default.removeItem(atPath: config.database)
    }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

/// Waits (briefly) until the batched writer has stored at least `count` rows, newest first.
func logRows(_ gateway: Gateway, atLeast count: Int = 1) async throws -> [LogRow] {
    for _ in 0..<100 {
        await gateway.services.usageLog.flush()
        let rows = try gateway.services.store.recentLogs(limit: 1000)
        if rows.count >= count { return rows }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try gateway.services.store.recentLogs(limit: 1000)
}

func errorBody(_ response: TestResponse) throws -> (message: String, type: String, code: String?, param: String?) {
    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
    let error = json?["error"] as? [String: Any]
    return (error?["message"] as? String ?? "", error?["type"] as? String ?? "", error?["code"] as? String, error?["param"] as? String)
}
