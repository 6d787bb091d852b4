import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct AdminRouteTests {
    @Test func masterKeyCreatesListsAndRevokesKeysAndTheKeyIsShownOnlyOnce() async throws {
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.server.keyCacheSeconds = 600
            return config
        }) { client, gateway, _ in
            let created = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"name":"ci","rpm":100,"models":["gpt-test"]}"#))
            #expect(created.status == .ok)
            let object = jsonObject(created.body)
            let key = try #require(object["key"] as? String)
            let id = try #require(object["id"] as? Int)
            #expect(key.hasPrefix("sk-chorus-") && object["status"] as? String == "active")

            let models = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(key))
            #expect(models.status == .ok)
            #expect(String(buffer: models.body).contains("gpt-test") && !String(buffer: models.body).contains("gpt-alias"))

            let list = try await client.execute(uri: "/admin/keys", method: .get, headers: bearer(masterKey))
            let listed = String(buffer: list.body)
            #expect(listed.contains("\"name\":\"ci\"") && listed.contains(String(key.suffix(4))))
            #expect(!listed.contains(key))

            let revoked = try await client.execute(uri: "/admin/keys/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(revoked.status == .ok)
            // Revocation through the admin route takes effect at once, whatever key_cache_seconds says.
            #expect(try await client.execute(uri: "/v1/models", method: .get, headers: bearer(key)).status == .unauthorized)
            #expect(try await client.execute(uri: "/admin/keys/999999", method: .delete, headers: bearer(masterKey)).status == .notFound)

            // Rows reach the database in the writer's next batch (every 50 ms); run alone, this test asked sooner.
            await gateway.services.usageLog.flush()
            let logs = try await client.execute(uri: "/admin/logs?limit=50", method: .get, headers: bearer(masterKey))
            #expect(logs.status == .ok)
            #expect(String(buffer: logs.body).contains("/admin/keys") && !String(buffer: logs.body).contains(key))
            let rows = try await logRows(gateway, atLeast: 6)
            #expect(rows.contains { $0.route == "/admin/keys/{id}" && $0.status == 200 })
        }
    }

    @Test func adminRoutesRefuseOrdinaryKeysAndBadBodies() async throws {
        try await withGateway { client, _, _ in
            let created = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"name":"plain"}"#))
            let key = try #require(jsonObject(created.body)["key"] as? String)
            for (method, uri) in [(HTTPRequest.Method.get, "/admin/keys"), (.get, "/admin/logs"), (.delete, "/admin/keys/1")] {
                let response = try await client.execute(uri: uri, method: method, headers: bearer(key))
                #expect(response.status == .unauthorized, "\(uri)")
                #expect(try errorBody(response).message.contains("master key"))
            }
            #expect(try await client.execute(uri: "/admin/keys", method: .get).status == .unauthorized)
            let cases: [(String, String?)] = [("{", nil), (#"{"rpm":5}"#, "name"), (#"{"name":"x","rpm":-1}"#, "rpm"),
                                              (#"{"name":"x","models":"gpt"}"#, "models")]
            for (body, param) in cases {
                let response = try await client.execute(uri: "/admin/keys", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                if let param { #expect(try errorBody(response).param == param, "\(body)") }
            }
        }
    }
}
