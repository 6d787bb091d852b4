import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite(.timeLimit(.minutes(2)))
struct PlaygroundTests {
    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String, key: String = masterKey) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: bearer(key), body: ByteBuffer(string: body))
    }

    /// The named events of an event stream and their JSON.
    static func namedEvents(_ body: String) throws -> [(name: String, data: [String: Any])] {
        try body.components(separatedBy: "\n\n").compactMap { event -> (String, [String: Any])? in
            guard event.hasPrefix("event: ") else { return nil }
            let lines = event.split(separator: "\n")
            let name = String(lines[0].dropFirst("event: ".count))
            let data = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].dropFirst("data: ".count).utf8)) as? [String: Any])
            return (name, data)
        }
    }

    @Test func aChatStreamIsByteIdenticalOnV1AndThePlaygroundAddsTimingAndUsageAfterIt() async throws {
        try await withGateway { client, _, mock in
            let request = #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let upstream = mock.sseEvents(model: "upstream-model").joined()
            for path in ["/v1/chat/completions", "/api/v1/chat/completions"] {
                let response = try await Self.post(client, path, request)
                #expect(String(buffer: response.body) == upstream, "\(path) passes the stream through unchanged")
            }
            let played = try await Self.post(client, "/api/playground/chat/completions", request)
            #expect(played.status == .ok)
            let body = String(buffer: played.body)
            #expect(body.hasPrefix(upstream), "the upstream's events come first, [DONE] included, byte for byte")
            let events = try Self.namedEvents(String(body.dropFirst(upstream.count)))
            #expect(events.map(\.name) == ["chorus.timing", "chorus.usage"])
            let timing = events[0].data
            let ttfb = try #require(timing["ttfb_ms"] as? Double)
            let total = try #require(timing["total_ms"] as? Double)
            #expect(ttfb > 0 && total >= ttfb)
            let usage = events[1].data
            #expect(usage["prompt_tokens"] as? Int == 7 && usage["completion_tokens"] as? Int == 5 && usage["total_tokens"] as? Int == 12)
            #expect(usage["characters"] is NSNull && usage["images"] is NSNull)
        }
    }

    @Test func aSpeechEventStreamEndsWithTheSecondsAndCharactersOnlyUnderThePlayground() async throws {
        try await withGateway { client, _, _ in
            let request = #"{"model":"local-tts","input":"Playground speech.","voice":"alloy","response_format":"mp3","stream_format":"sse"}"#
            let plain = String(buffer: try await Self.post(client, "/v1/audio/speech", request).body)
            #expect(plain.contains("speech.audio.done") && !plain.contains("chorus."))
            let played = try await Self.post(client, "/api/playground/audio/speech", request)
            let body = String(buffer: played.body)
            let doneEnd = try #require(body.range(of: "speech.audio.done"))
            let events = try Self.namedEvents(String(body[doneEnd.upperBound...]))
            #expect(events.map(\.name) == ["chorus.timing", "chorus.usage"])
            let usage = events[1].data
            #expect(usage["characters"] as? Int == "Playground speech.".count)
            #expect((usage["audio_seconds"] as? Double ?? 0) > 0.5)
        }
    }

    @Test func answersThatAreNotEventStreamsAreTheSameAsOnV1() async throws {
        try await withGateway { client, _, _ in
            let chat = #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#
            let plain = try await Self.post(client, "/v1/chat/completions", chat)
            let played = try await Self.post(client, "/api/playground/chat/completions", chat)
            #expect(played.status == .ok && played.body == plain.body)
            let models = try await client.execute(uri: "/api/playground/models", method: .get, headers: bearer(masterKey))
            let v1Models = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
            #expect(models.body == v1Models.body)
        }
    }

    @Test func theSessionSaysWhetherTheKeyIsTheMasterKeyAndABadKeyIs401() async throws {
        try await withGateway { client, gateway, _ in
            let master = try await client.execute(uri: "/api/playground/session", method: .get, headers: bearer(masterKey))
            let masterJSON = try #require(try JSONSerialization.jsonObject(with: Data(buffer: master.body)) as? [String: Any])
            #expect(masterJSON["admin"] as? Bool == true && masterJSON["key"] is NSNull)
            let (key, record) = try await gateway.services.store.createKey(name: "web", rpm: nil, models: nil, expiresAt: nil)
            let user = try await client.execute(uri: "/api/playground/session", method: .get, headers: bearer(key))
            let userJSON = try #require(try JSONSerialization.jsonObject(with: Data(buffer: user.body)) as? [String: Any])
            #expect(userJSON["admin"] as? Bool == false)
            let shown = try #require(userJSON["key"] as? [String: Any])
            #expect(shown["id"] as? Int == Int(record.id) && shown["name"] as? String == "web")
            #expect((shown["hint"] as? String)?.hasSuffix(record.keyHint) == true)
            #expect(!String(buffer: user.body).contains(key), "the key itself is never in an answer")
            let wrong = try await client.execute(uri: "/api/playground/session", method: .get, headers: bearer("sk-chorus-wrong"))
            #expect(wrong.status == .unauthorized)
            #expect(try errorBody(wrong).code == "invalid_api_key")
        }
    }

    @Test func aRequestsRowsCanBeReadBackByItsKeyOnly() async throws {
        try await withGateway { client, gateway, _ in
            let (key, _) = try await gateway.services.store.createKey(name: "web", rpm: nil, models: nil, expiresAt: nil)
            let (other, _) = try await gateway.services.store.createKey(name: "other", rpm: nil, models: nil, expiresAt: nil)
            let chat = try await Self.post(client, "/api/playground/chat/completions",
                                           #"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}"#, key: key)
            let id = try #require(chat.headers[HTTPField.Name("x-request-id")!])
            _ = try await logRows(gateway, atLeast: 2)
            let own = try await client.execute(uri: "/api/playground/requests/\(id)", method: .get, headers: bearer(key))
            #expect(own.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: own.body)) as? [String: Any])
            let rows = try #require(json["data"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["route"] as? String == "/playground/chat/completions" && rows.first?["total_tokens"] as? Int == 14)
            let theirs = try await client.execute(uri: "/api/playground/requests/\(id)", method: .get, headers: bearer(other))
            #expect(theirs.status == .notFound)
            let unknown = try await client.execute(uri: "/api/playground/requests/req_nothing", method: .get, headers: bearer(key))
            #expect(unknown.status == .notFound)
        }
    }
}
