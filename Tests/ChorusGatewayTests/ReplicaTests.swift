import ChorusGateway
import ChorusMedia
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import Testing

/// Two gateways on one PostgreSQL schema, as two replicas behind a load balancer: what one stores, the other
/// serves. Skipped without a server (`CHORUS_TEST_POSTGRES`).
@Suite(.enabled(if: StorageBackend.postgresURL != nil, "needs CHORUS_TEST_POSTGRES"), .timeLimit(.minutes(2)))
struct ReplicaTests {
    /// Runs `body` with two live gateways sharing one fresh PostgreSQL schema and one mock upstream.
    static func withReplicas(keyCacheSeconds: Double = 0, price: Double? = nil,
                             _ body: @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        try await MockUpstream().application.test(.live) { upstream in
            var config = testConfig(upstreamPort: upstream.port ?? 0)
            config.server.keyCacheSeconds = keyCacheSeconds
            if let price, let index = config.models.firstIndex(where: { $0.name == "gpt-test" }) {
                var modelPrice = ModelPrice()
                modelPrice.perRequest = price
                config.models[index].price = modelPrice
            }
            try await withReplicas(of: config, body)
        }
    }

    /// Two gateways from `config` on one fresh schema, each with its own voices and media folders (as two
    /// machines have), so whatever one serves of the other's comes through the database.
    static func withReplicas(of config: GatewayConfig,
                             _ body: @Sendable (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        let temp = FileManager.default.temporaryDirectory
        let database = StorageBackend.postgres.freshDatabase()
        var configs = [config, config]
        for index in configs.indices {
            configs[index].database = database
            configs[index].voicesDirectory = temp.appendingPathComponent("chorus-voices-\(UUID().uuidString)").path
            configs[index].mediaDirectory = temp.appendingPathComponent("chorus-media-\(UUID().uuidString)").path
        }
        defer { for each in configs { for folder in [each.voicesDirectory, each.mediaDirectory] { try? FileManager.default.removeItem(atPath: folder) } } }
        let environment = ["CHORUS_MASTER_KEY": masterKey]
        let first = try await buildGateway(config: configs[0], environment: environment, logger: Logger(label: "replica-1"))
        let second = try await buildGateway(config: configs[1], environment: environment, logger: Logger(label: "replica-2"))
        try await first.application.test(.live) { one in
            try await second.application.test(.live) { two in try await body(one, two) }
        }
    }

    @Test func aKeyCreatedThroughOneReplicaWorksOnTheOther() async throws {
        try await Self.withReplicas { one, two in
            let (key, _) = try await TenancyTests.createKey(one, #"{"name":"shared"}"#)
            #expect(try await TenancyTests.chat(two, key: key).status == .ok)
        }
    }

    @Test func aKeyRevokedOnOneReplicaIsRefusedByTheOtherWithinTheCacheTime() async throws {
        try await Self.withReplicas(keyCacheSeconds: 1) { one, two in
            let (key, id) = try await TenancyTests.createKey(one, #"{"name":"short-lived"}"#)
            #expect(try await TenancyTests.chat(two, key: key).status == .ok, "now cached by the second replica")
            let revoked = try await one.execute(uri: "/admin/keys/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(revoked.status == .ok)
            let refused = await eventually(within: 3, asking: { (try? await TenancyTests.chat(two, key: key).status) == .unauthorized })
            #expect(refused, "the second replica still took the key after its cache time")
        }
    }

    @Test func fiftyCallsSpreadOverBothReplicasAgainstABalanceForTenSucceedExactlyTen() async throws {
        try await Self.withReplicas(price: 1) { one, two in
            let (key, id) = try await TenancyTests.createKey(one, #"{"name":"ten","balance":10}"#)
            let ports = [try #require(one.port), try #require(two.port)]
            let http = try UpstreamClient()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for call in 0..<50 {
                    group.addTask {
                        let response = try await http.execute(UpstreamRequest(
                            method: "POST", url: "http://127.0.0.1:\(ports[call % 2])/v1/chat/completions",
                            headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
                            body: .bytes(TenancyTests.chatBody), timeout: 30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return response.status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            await http.shutdown()
            #expect(statuses.filter { $0 == 200 }.count == 10)
            #expect(statuses.filter { $0 == 429 }.count == 40)
            // Each call held its point and paid it when its row was written, on whichever replica served it.
            #expect(await eventually(within: 5, asking: { ((try? await TenancyTests.showKey(two, id))?["balance"] as? Double) == 0 }))
        }
    }

    @Test func aVoiceAddedThroughOneReplicaIsSpokenByTheOther() async throws {
        try await Self.withReplicas { one, two in
            let id = try await OwnershipTests.createVoice(one, key: masterKey, name: "shared voice")
            #expect(try await OwnershipTests.listedIDs(two, key: masterKey).contains(id))
            let spoken = try await OwnershipTests.speak(two, key: masterKey, model: "clone-tts", voice: id)
            #expect(spoken.status == .ok, "\(String(buffer: spoken.body))")
            #expect(spoken.body.readableBytesView.starts(with: Array("RIFF".utf8)))
            // Deleted through the second, gone for the first: the row and the sample.
            #expect(try await two.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(masterKey)).status == .ok)
            #expect(try await OwnershipTests.speak(one, key: masterKey, model: "clone-tts", voice: id).status == .notFound)
        }
    }

    @Test func anImageStoredByOneReplicaIsServedByTheOther() async throws {
        let mock = ImageMockUpstream()
        try await mock.application.test(.live) { upstream in
            try await Self.withReplicas(of: imageConfig(upstreamPort: upstream.port ?? 0)) { one, two in
                let response = try await ImageRouteTests.generate(one, #"{"model":"gpt-image","prompt":"p","size":"40x30","response_format":"url"}"#)
                #expect(response.status == .ok)
                let data = jsonObject(response.body)["data"] as? [[String: Any]] ?? []
                let url = try #require(data.first?["url"] as? String)
                let path = String(url.dropFirst("http://chorus.test".count))
                let image = try await two.execute(uri: path, method: .get)
                #expect(image.status == .ok)
                #expect(image.headers[.contentType] == "image/png")
                let info = try ImageReader.info(Array(image.body.readableBytesView))
                #expect(info.width == 40 && info.height == 30)
            }
        }
    }
}
