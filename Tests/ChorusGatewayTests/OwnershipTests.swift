import ChorusEngines
import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// What a key makes is its own: custom voices are seen, used and deleted by the key that made them (and the master
/// key) only, and another key's voice answers exactly like an id that does not exist.
@Suite struct OwnershipTests {
    /// A valid voice id no voice has: what "does not exist" answers.
    static let missingID = "voice_" + String(repeating: "0", count: 24)

    static func createVoice(_ client: any TestClientProtocol, key: String, name: String) async throws -> String {
        let sample = Data(MockUpstream.speechWAV).base64EncodedString()
        let created = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: bearer(key),
                                               body: ByteBuffer(string: #"{"name":"\#(name)","audio_sample":"\#(sample)"}"#))
        #expect(created.status == .ok, "\(String(buffer: created.body))")
        return try #require(json(created)["id"] as? String)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func listedIDs(_ client: any TestClientProtocol, key: String) async throws -> [String] {
        let list = try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(key))
        #expect(list.status == .ok)
        return (try json(list)["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    static func lollmsIDs(_ client: any TestClientProtocol, key: String) async throws -> [String] {
        let list = try await client.execute(uri: "/lollms/v1/audio/voices", method: .get, headers: bearer(key))
        #expect(list.status == .ok)
        return (try json(list)["voices"] as? [String]) ?? []
    }

    static func speak(_ client: any TestClientProtocol, key: String, model: String, voice: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(key),
                                 body: ByteBuffer(string: #"{"model":"\#(model)","input":"Hello","voice":"\#(voice)","response_format":"wav"}"#))
    }

    /// The answer for `id` must be the answer for an id that does not exist, but for the id it quotes.
    static func expectSameAsMissing(_ answer: TestResponse, _ missing: TestResponse, id: String,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(answer.status == .notFound, sourceLocation: sourceLocation)
        #expect(answer.status == missing.status, sourceLocation: sourceLocation)
        let expected = String(buffer: missing.body).replacingOccurrences(of: missingID, with: id)
        #expect(String(buffer: answer.body) == expected, sourceLocation: sourceLocation)
    }

    @Test func keyBCannotListUseOrDeleteKeyAsVoice() async throws {
        try await withGateway { client, gateway, mock in
            let store = gateway.services.store
            let (keyA, _) = try await store.createKey(name: "a", rpm: nil, models: nil, expiresAt: nil)
            let (keyB, _) = try await store.createKey(name: "b", rpm: nil, models: nil, expiresAt: nil)
            let id = try await Self.createVoice(client, key: keyA, name: "A's voice")

            #expect(try await Self.listedIDs(client, key: keyA).contains(id))
            #expect(try await !Self.listedIDs(client, key: keyB).contains(id))
            #expect(try await !Self.lollmsIDs(client, key: keyB).contains(id))

            let get = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(keyB))
            let getMissing = try await client.execute(uri: "/v1/audio/voices/\(Self.missingID)", method: .get, headers: bearer(keyB))
            try Self.expectSameAsMissing(get, getMissing, id: id)

            let received = mock.received.count
            for model in ["clone-tts", "local-tts"] {
                // local-tts matches voices: speaking (or a 400 about the sample) here would confirm the voice exists.
                let speech = try await Self.speak(client, key: keyB, model: model, voice: id)
                let speechMissing = try await Self.speak(client, key: keyB, model: model, voice: Self.missingID)
                try Self.expectSameAsMissing(speech, speechMissing, id: id)
            }
            #expect(mock.received.count == received, "B's speech never reached the provider")

            let delete = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(keyB))
            let deleteMissing = try await client.execute(uri: "/v1/audio/voices/\(Self.missingID)", method: .delete, headers: bearer(keyB))
            try Self.expectSameAsMissing(delete, deleteMissing, id: id)

            // A's voice is untouched: listed, readable and speaking for A.
            #expect(try await Self.listedIDs(client, key: keyA).contains(id))
            #expect(try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(keyA)).status == .ok)
            #expect(try await Self.speak(client, key: keyA, model: "clone-tts", voice: id).status == .ok)
            #expect(try await gateway.voices.library.samples.contains("\(id).wav"))
        }
    }

    @Test func masterKeySeesAndDeletesAnyKeysVoice() async throws {
        try await withGateway { client, gateway, _ in
            let (keyA, recordA) = try await gateway.services.store.createKey(name: "a", rpm: nil, models: nil, expiresAt: nil)
            let id = try await Self.createVoice(client, key: keyA, name: "A's voice")
            let mine = try await Self.createVoice(client, key: masterKey, name: "Master's voice")

            let list = try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(masterKey))
            let entries = try Self.json(list)["data"] as? [[String: Any]] ?? []
            let entryA = try #require(entries.first { $0["id"] as? String == id })
            #expect(entryA["owner_key_id"] as? Int == Int(recordA.id))
            let entryMaster = try #require(entries.first { $0["id"] as? String == mine })
            #expect(entryMaster["owner_key_id"] is NSNull, "the master key's own voice has no owning key")
            #expect(try await !Self.listedIDs(client, key: keyA).contains(mine), "a key does not see the master key's voices")

            // A key's own listing does not carry the field: it tells the key nothing it does not know.
            let listA = try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(keyA))
            let ownEntry = try #require((try Self.json(listA)["data"] as? [[String: Any]] ?? []).first { $0["id"] as? String == id })
            #expect(ownEntry["owner_key_id"] == nil)

            let get = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(masterKey))
            #expect(get.status == .ok)
            #expect(try Self.json(get)["owner_key_id"] as? Int == Int(recordA.id))
            #expect(try await Self.speak(client, key: masterKey, model: "clone-tts", voice: id).status == .ok)

            let deleted = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(deleted.status == .ok)
            #expect(try Self.json(deleted)["deleted"] as? Bool == true)
            #expect(try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(keyA)).status == .notFound)
            #expect(try await !Self.listedIDs(client, key: keyA).contains(id))
        }
    }

    @Test func presetsAreSharedByEveryKey() async throws {
        try await withGateway { client, gateway, _ in
            let store = gateway.services.store
            let (keyA, _) = try await store.createKey(name: "a", rpm: nil, models: nil, expiresAt: nil)
            let (keyB, _) = try await store.createKey(name: "b", rpm: nil, models: nil, expiresAt: nil)
            let presets = gateway.voices.presets.all.map(\.name)
            #expect(presets.contains("alloy"))
            for key in [keyA, keyB, masterKey] {
                let listed = try await Self.listedIDs(client, key: key)
                #expect(presets.allSatisfy(listed.contains))
                #expect(presets.allSatisfy(try await Self.lollmsIDs(client, key: key).contains))
                let preset = try await client.execute(uri: "/v1/audio/voices/alloy", method: .get, headers: bearer(key))
                #expect(preset.status == .ok)
                #expect(try Self.json(preset)["type"] as? String == "preset")
                let spoken = try await Self.speak(client, key: key, model: "local-tts", voice: "alloy")
                #expect(spoken.status == .ok, "\(String(buffer: spoken.body))")
            }
        }
    }

    @Test func mediaRecordsItsOwner() async throws {
        try await withImageGateway { client, gateway, _ in
            let store = gateway.services.store
            let (keyA, recordA) = try await store.createKey(name: "a", rpm: nil, models: nil, expiresAt: nil)
            let body = ByteBuffer(string: #"{"model":"gpt-image","prompt":"p","size":"16x16","response_format":"url"}"#)
            var owners: [Int64?] = []
            for key in [keyA, masterKey] {
                let response = try await client.execute(uri: "/v1/images/generations", method: .post, headers: bearer(key), body: body)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let url = try #require((jsonObject(response.body)["data"] as? [[String: Any]])?.first?["url"] as? String)
                let id = try #require(url.split(separator: "/").last.map(String.init))
                owners.append(try #require(try await store.media(id: id)).ownerKeyID)
                // The media URL stays keyless: an <img> tag sends no key, and the id is the secret.
                #expect(try await client.execute(uri: "/v1/media/\(id)", method: .get).status == .ok)
            }
            #expect(owners == [recordA.id, nil])
        }
    }
}

/// `chorus voices list`, run as the real executable against a database holding a key's voice and the master's.
@Suite struct VoicesCLIOwnerTests {
    @Test func voicesListShowsEachVoicesOwner() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("chorus.sqlite").path
        let store = try await openStorage(database: database)
        let (_, key) = try await store.createKey(name: "team\nforged", rpm: nil, models: nil, expiresAt: nil)
        let keyVoice = VoiceRecord(id: "voice_" + String(repeating: "a", count: 24), name: "Key's", createdAt: 1, durationSeconds: 2,
                                   sampleRate: 24000, consent: nil, ownerKeyID: key.id)
        let masterVoice = VoiceRecord(id: "voice_" + String(repeating: "b", count: 24), name: "Master's", createdAt: 2, durationSeconds: 2,
                                      sampleRate: 24000, consent: nil, ownerKeyID: nil)
        try await store.insertVoice(keyVoice)
        try await store.insertVoice(masterVoice)
        let configPath = dir.appendingPathComponent("chorus.yaml").path
        try "database: \(database)\nvoices_dir: \(dir.appendingPathComponent("voices").path)\n"
            .write(toFile: configPath, atomically: true, encoding: .utf8)

        let (status, output) = try runChorus(["voices", "list", "--config", configPath], environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 0)

        let rows = output.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.first == ["ID", "NAME", "TYPE", "SECONDS", "OWNER"])
        #expect(rows.dropFirst().allSatisfy { $0.count == 5 }, "one line per voice, five cells: \(output)")
        #expect(rows.first { $0.first == keyVoice.id }?.last == "key \(key.id) (team forged)")
        #expect(rows.first { $0.first == masterVoice.id }?.last == "master")
        #expect(rows.first { $0.first == "alloy" }?.last == "shared")
    }
}
