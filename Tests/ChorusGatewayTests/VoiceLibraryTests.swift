@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

@Suite struct VoiceLibraryTests {
    /// Converts the mock's WAV clip to another container with the ffmpeg CLI.
    static func sample(as format: String, seconds: Double = MockUpstream.speechSeconds) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("in-\(UUID().uuidString).wav").path
        let output = dir.appendingPathComponent("out-\(UUID().uuidString).\(format)").path
        _ = FileManager.default.createFile(atPath: input, contents: Data(MockUpstream.speechWAV))
        defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }
        _ = try ChildProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-y", "-stream_loop", "-1", "-i", input, "-t", String(seconds), "-ac", "2", "-ar", "44100", output])
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    static func multipart(name: String?, sample: [UInt8], filename: String) -> (HTTPFields, ByteBuffer) {
        let boundary = "chorus-test-boundary"
        var body = ByteBuffer()
        if let name {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\(name)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"consent\"\r\n\r\ncons_123\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"audio_sample\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        body.writeBytes(sample)
        body.writeString("\r\n--\(boundary)--\r\n")
        return ([.authorization: "Bearer \(masterKey)", .contentType: "multipart/form-data; boundary=\(boundary)"], body)
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func customVoiceIsStoredListedUsedForCloningAndDeleted() async throws {
        try await withGateway { client, gateway, mock in
            let (headers, body) = Self.multipart(name: "Narrator", sample: try Self.sample(as: "mp3"), filename: "me.mp3")
            let created = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: headers, body: body)
            #expect(created.status == .ok, "\(String(buffer: created.body))")
            let voice = try json(created)
            let id = try #require(voice["id"] as? String)
            #expect(id.hasPrefix("voice_"))
            #expect(voice["object"] as? String == "audio.voice")
            #expect(voice["name"] as? String == "Narrator")
            #expect(voice["type"] as? String == "audio_sample")
            #expect(voice["created_at"] is Int)

            let list = try json(try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(masterKey)))
            let entries = try #require(list["data"] as? [[String: Any]])
            #expect(entries.contains { $0["id"] as? String == id })
            #expect(entries.contains { $0["id"] as? String == "alloy" && $0["type"] as? String == "preset" })

            // voice: {"id": …} clones from the stored sample, normalised to mono 24 kHz WAV.
            let spoken = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                  body: ByteBuffer(string: #"{"model":"clone-tts","input":"Cloned","voice":{"id":"\#(id)"},"response_format":"wav"}"#))
            #expect(spoken.status == .ok)
            let received = try #require(mock.lastReceived)
            let sent = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
            let dataURL = try #require(sent["audio_sample"] as? String)
            #expect(dataURL.hasPrefix("data:audio/wav;base64,"))
            #expect(sent["voice"] == nil)
            let wav = try #require(Data(base64Encoded: String(dataURL.dropFirst("data:audio/wav;base64,".count))))
            let probed = try ffprobe(Array(wav))
            #expect(probed.codec == "pcm_s16le" && probed.channels == 1 && probed.sampleRate == 24000)
            #expect(abs(probed.duration - MockUpstream.speechSeconds) < 0.1)

            // A provider that neither clones nor matches: 400 saying so (the embedded engine matches: VoiceMatchingTests).
            let refused = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"model":"wav-tts","input":"x","voice":"\#(id)"}"#))
            #expect(refused.status == .badRequest)
            #expect(try errorBody(refused).message.contains("cannot clone"))

            let deleted = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(try json(deleted)["deleted"] as? Bool == true)
            #expect(try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(masterKey)).status == .notFound)
            #expect(try await gateway.voices.library.samples.contains("\(id).wav") == false)
        }
    }

    @Test func jsonUploadWithDataURLWorks() async throws {
        try await withGateway { client, _, _ in
            let sample = "data:audio/ogg;base64," + Data(try Self.sample(as: "ogg")).base64EncodedString()
            let created = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: bearer(masterKey),
                                                   body: ByteBuffer(string: #"{"name":"Ogg voice","audio_sample":"\#(sample)"}"#))
            #expect(created.status == .ok, "\(String(buffer: created.body))")
        }
    }

    @Test func inlineAudioSampleIsNormalisedAndForwarded() async throws {
        try await withGateway { client, _, mock in
            let sample = Data(try Self.sample(as: "m4a")).base64EncodedString()
            let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model":"clone-tts","input":"Hi","voice":"alloy","audio_sample":"\#(sample)","response_format":"wav"}"#))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let received = try #require(mock.lastReceived)
            let sent = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
            #expect((sent["audio_sample"] as? String)?.hasPrefix("data:audio/wav;base64,") == true, "the sample takes precedence over voice")
        }
    }

    @Test func samplesOutsideTheDurationLimitsAreRefused() async throws {
        try await withGateway { client, _, _ in
            for seconds in [0.4, 61.0] {
                let sample = Data(try Self.sample(as: "wav", seconds: seconds)).base64EncodedString()
                let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                        body: ByteBuffer(string: #"{"model":"clone-tts","input":"Hi","audio_sample":"\#(sample)"}"#))
                #expect(response.status == .badRequest)
                #expect(try errorBody(response).param == "audio_sample")
            }
        }
    }

    @Test(arguments: ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "voice_../../x", "voice_ZZZZZZZZZZZZZZZZZZZZZZZZ"])
    func voiceIdsCannotEscapeTheVoicesFolder(id: String) async throws {
        try await withGateway { client, _, _ in
            let get = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .get, headers: bearer(masterKey))
            #expect(get.status == .notFound)
            let delete = try await client.execute(uri: "/v1/audio/voices/\(id)", method: .delete, headers: bearer(masterKey))
            #expect(delete.status == .notFound)
            let speak = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                 body: ByteBuffer(string: #"{"model":"clone-tts","input":"x","voice":{"id":"\#(id)"}}"#))
            #expect(speak.status.code >= 400 && speak.status.code < 500)
        }
    }

    @Test func voicesSurviveARestart() async throws {
        let voicesDir = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)").path
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString).sqlite").path
        let configure: @Sendable (Int) -> GatewayConfig = { port in
            var config = testConfig(upstreamPort: port)
            config.voicesDirectory = voicesDir
            config.database = database
            return config
        }
        let (headers, body) = Self.multipart(name: "Keeper", sample: try Self.sample(as: "wav"), filename: "k.wav")
        try await withGateway(config: configure) { client, _, _ in
            let created = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: headers, body: body)
            #expect(created.status == .ok)
        }
        try await withGateway(config: configure) { client, _, _ in
            let list = String(buffer: try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(masterKey)).body)
            #expect(list.contains("Keeper"))
        }
    }

    @Test func missingNameAndNonAudioUploadsAre400() async throws {
        try await withGateway { client, _, _ in
            let (h1, b1) = Self.multipart(name: nil, sample: try Self.sample(as: "wav"), filename: "a.wav")
            let noName = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: h1, body: b1)
            #expect(noName.status == .badRequest)
            #expect(try errorBody(noName).param == "name")
            let (h2, b2) = Self.multipart(name: "Text", sample: Array("just some text, not audio".utf8), filename: "a.txt")
            let text = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: h2, body: b2)
            #expect(text.status == .badRequest)
            #expect(try errorBody(text).param == "audio_sample")
        }
    }
}
