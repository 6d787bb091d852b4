import ChorusGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Fields shaped to hurt: each is a 400 naming the field, and no caller string reaches a row or an answer whole.
@Suite struct HostileFieldTests {
    func post(_ client: any TestClientProtocol, _ uri: String, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
    }

    /// A 20 MB unknown model name was stored whole in the usage log and echoed whole in the 404.
    @Test func hugeModelNameIs400AndTheRowKeepsOnlyABoundedPrefix() async throws {
        try await withGateway { client, gateway, mock in
            let name = String(repeating: "m", count: 2 << 20)
            let response = try await post(client, "/v1/chat/completions", #"{"model":"\#(name)","messages":[]}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "model")
            #expect(response.body.readableBytes < 1024)
            #expect(mock.received.isEmpty)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 400)
            #expect((row.model?.utf8.count ?? 0) <= 256)
            #expect(row.model?.hasSuffix("…") == true)
        }
    }

    @Test func unknownModelIsEchoedOnlyInPartWithControlCharactersEscaped() async throws {
        try await withGateway { client, _, _ in
            let name = "evil\\u001b[31m" + String(repeating: "x", count: 200)
            let response = try await post(client, "/v1/chat/completions", #"{"model":"\#(name)","messages":[]}"#)
            #expect(response.status == .notFound)
            let message = try errorBody(response).message
            #expect(message.contains("evil\\u{1b}[31m"))
            #expect(!message.contains("\u{1b}"))
            #expect(!message.contains(String(repeating: "x", count: 100)))
        }
    }

    @Test func speechLanguageThatIsAPathIs400NamingLanguage() async throws {
        try await withGateway { client, gateway, _ in
            for language in ["../../etc", "en\u{0}", String(repeating: "a", count: 100), "en us"] {
                let encoded = String(decoding: try JSONEncoder().encode(language), as: UTF8.self)
                let response = try await post(client, "/v1/audio/speech",
                                              #"{"model":"local-tts","input":"Hello","voice":"alloy","language":\#(encoded)}"#)
                #expect(response.status == .badRequest, "\(language)")
                #expect(try errorBody(response).param == "language")
            }
            #expect(try await post(client, "/v1/audio/speech", #"{"model":"local-tts","input":"Hi","voice":"alloy","language":"pt-BR"}"#).status == .ok)
            let rows = try await logRows(gateway, atLeast: 5)
            #expect(!rows.contains { $0.status >= 500 })
        }
    }

    @Test func transcriptionLanguageThatIsAPathIs400NamingLanguage() async throws {
        try await withGateway { client, _, _ in
            let audio = try await TranscriptionRouteTests.spoken(client, format: "wav")
            let (headers, body) = TranscriptionRouteTests.upload(model: "verbose-stt", file: audio, filename: "a.wav",
                                                                 fields: [("language", "../../etc/passwd")])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "language")
        }
    }

    @Test(arguments: [
        (#""prompt":123"#, "prompt"), (#""prompt":"a cat","size":1024"#, "size"), (#""prompt":"a cat","n":"2""#, "n"),
        (#""prompt":"a cat","stream":"yes""#, "stream"), (#""prompt":"a cat","quality":["high"]"#, "quality"),
        (#""prompt":{"text":"a cat"}"#, "prompt"),
    ])
    func imageFieldOfTheWrongTypeIs400NamingIt(fields: String, param: String) async throws {
        try await withImageGateway { client, _, _ in
            let response = try await post(client, "/v1/images/generations", #"{"model":"gpt-image",\#(fields)}"#)
            #expect(response.status == .badRequest, "\(fields)")
            #expect(try errorBody(response).param == param)
        }
    }

    @Test(arguments: ["two\nlines", "tab\there", "esc\u{1b}[2J", "nul\u{0}name", "bidi\u{202E}txt.wav"])
    func voiceNameWithControlCharactersIsRefused(name: String) async throws {
        try await withGateway { client, _, _ in
            let sample = Data(try VoiceLibraryTests.sample(as: "wav")).base64EncodedString()
            let encoded = String(decoding: try JSONEncoder().encode(name), as: UTF8.self)
            let response = try await post(client, "/v1/audio/voices", #"{"name":\#(encoded),"audio_sample":"\#(sample)"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "name")
            let list = try await client.execute(uri: "/v1/audio/voices", method: .get, headers: bearer(masterKey))
            #expect(!String(buffer: list.body).contains("\"type\":\"audio_sample\""))
        }
    }

    /// `{"stream":true,"stream":false}` was forwarded byte for byte while Chorus acted on the last one.
    @Test func duplicateKeyIs400NamingItAndNothingIsForwarded() async throws {
        try await withGateway { client, gateway, mock in
            let response = try await post(client, "/v1/chat/completions", #"{"model":"gpt-test","stream":true,"messages":[],"stream":false}"#)
            #expect(response.status == .badRequest)
            let error = try errorBody(response)
            #expect(error.code == "invalid_json" && error.param == "stream")
            #expect(error.message.contains("Duplicate key 'stream'"))
            #expect(mock.received.isEmpty)
            #expect(try await logRows(gateway).first?.status == 400)
        }
    }
}
