import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite struct AuthTests {
    static let chat = ByteBuffer(string: #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#)

    @Test func missingKeyIs401AndLeavesARow() async throws {
        try await withGateway { client, gateway, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, body: Self.chat)
            #expect(response.status == .unauthorized)
            let error = try errorBody(response)
            #expect(error.type == "authentication_error")
            #expect(error.code == "missing_api_key")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 401)
            #expect(row.keyID == nil)
        }
    }

    @Test func unknownKeyIs401() async throws {
        try await withGateway { client, _, _ in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post,
                                                     headers: bearer("sk-chorus-not-a-real-key"), body: Self.chat)
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response).code == "invalid_api_key")
        }
    }

    @Test func createdKeyWorksWithBearerAndXAPIKeyAndIsLogged() async throws {
        try await withGateway { client, gateway, _ in
            let (key, record) = try await gateway.services.store.createKey(name: "app", rpm: nil, models: nil, expiresAt: nil)
            #expect(key.hasPrefix("sk-chorus-"))
            let viaBearer = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat)
            #expect(viaBearer.status == .ok)
            let viaHeader = try await client.execute(uri: "/v1/chat/completions", method: .post,
                                                      headers: [HTTPField.Name("x-api-key")!: key], body: Self.chat)
            #expect(viaHeader.status == .ok)
            let rows = try await logRows(gateway, atLeast: 2)
            #expect(rows.allSatisfy { $0.keyID == record.id })
        }
    }

    /// A revoked or expired key reads exactly what a key that never existed reads: another text would tell whoever
    /// holds a leaked or guessed key that it once was real. The usage row still says why.
    @Test func revokedExpiredAndUnknownKeysGetTheSame401() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let (revoked, record) = try await store.createKey(name: "old", rpm: nil, models: nil, expiresAt: nil)
            #expect(try await store.revokeKey(id: record.id))
            #expect(try await store.revokeKey(id: record.id) == false, "revoking twice reports nothing to do")
            let (expired, _) = try await store.createKey(name: "past", rpm: nil, models: nil, expiresAt: Date(timeIntervalSinceNow: -60))
            var answers: [(status: HTTPResponse.Status, headers: [String], body: String)] = []
            for key in [revoked, expired, "sk-chorus-not-a-real-key"] {
                let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat)
                #expect(response.status == .unauthorized)
                let error = try errorBody(response)
                #expect(error.code == "invalid_api_key")
                #expect(error.message == "Incorrect API key provided.")
                let headers = response.headers.filter { $0.name != .date && $0.name.canonicalName != "x-request-id" }
                answers.append((response.status, headers.map { "\($0.name): \($0.value)" }.sorted(), String(buffer: response.body)))
            }
            #expect(Set(answers.map(\.body)).count == 1, "\(answers.map(\.body))")
            #expect(Set(answers.map(\.headers)).count == 1, "\(answers.map(\.headers))")
            let errors = try await logRows(gateway, atLeast: 3).compactMap(\.error)
            #expect(errors.contains { $0.contains("revoked") })
            #expect(errors.contains { $0.contains("expired") })
        }
    }

    @Test func keyLimitedToModelsGets403ForOthersAndSeesOnlyItsModels() async throws {
        try await withGateway { client, gateway, _ in
            let (key, _) = try await gateway.services.store.createKey(name: "narrow", rpm: nil, models: ["gpt-alias"], expiresAt: nil)
            let refused = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat)
            #expect(refused.status == .forbidden)
            #expect(try errorBody(refused).type == "permission_error")
            let allowed = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key),
                                                    body: ByteBuffer(string: #"{"model":"gpt-alias","messages":[]}"#))
            #expect(allowed.status == .ok)
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(key))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: models.body)) as? [String: Any])
            #expect(json["object"] as? String == "list")
            let ids = (json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["gpt-alias"])
        }
    }

    @Test func rateLimitedKeyGets429WithRetryAfter() async throws {
        try await withGateway { client, gateway, _ in
            let (key, _) = try await gateway.services.store.createKey(name: "slow", rpm: 2, models: nil, expiresAt: nil)
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat).status == .ok)
            }
            let limited = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try errorBody(limited).type == "rate_limit_error")
        }
    }

    @Test func keysAreStoredHashedAndNeverWrittenToTheDatabase() async throws {
        try await withGateway { client, gateway, _ in
            let (key, record) = try await gateway.services.store.createKey(name: "secret", rpm: nil, models: nil, expiresAt: nil)
            #expect(record.keyHash == APIKeyHasher.hash(key))
            #expect(record.keyHash.count == 64)
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(key), body: Self.chat)
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: Self.chat)
            _ = try await logRows(gateway, atLeast: 2)
            let path = gateway.services.config.database
            for file in [path, path + "-wal"] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                #expect(data.range(of: Data(key.utf8)) == nil, "the key is in \(file)")
                #expect(data.range(of: Data(masterKey.utf8)) == nil, "the master key is in \(file)")
            }
        }
    }

    /// Rows of calls with no key or a wrong one were listed under the master key (both have no key id).
    @Test func rowsOfCallsWithoutAValidKeyAreUnauthenticatedNotTheMasterKeys() async throws {
        try await withGateway { client, gateway, _ in
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: Self.chat)
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer("sk-chorus-wrong"), body: Self.chat)
            #expect(try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: Self.chat).status == .ok)
            let rows = try await logRows(gateway, atLeast: 3).sorted { $0.id < $1.id }
            #expect(rows.map(\.unauthenticated) == [true, true, false])
            #expect(rows.allSatisfy { $0.keyID == nil })
            let none = try await client.execute(uri: "/admin/logs?key_id=none", method: .get, headers: bearer(masterKey))
            let listed = String(buffer: none.body)
            #expect(listed.components(separatedBy: "\"request_id\"").count - 1 == 2, "\(listed)")
            #expect(!listed.contains("sk-chorus-wrong"), "the attempted key is never shown")
            let master = try await client.execute(uri: "/admin/logs?key_id=master", method: .get, headers: bearer(masterKey))
            // The master key's chat call, and the /admin/logs call just before this one.
            #expect(String(buffer: master.body).contains("\"unauthenticated\":false"))
            #expect(!String(buffer: master.body).contains("\"unauthenticated\":true"))
            let report = try await client.execute(uri: "/admin/usage?group_by=key", method: .get, headers: bearer(masterKey))
            #expect(String(buffer: report.body).contains(#""group":"none""#), "\(String(buffer: report.body))")
        }
    }
}
