import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// `translation_via`: translations served as a transcription then a chat model's translation, in every format.
@Suite struct TranslationViaTests {
    static func config(port: Int) -> GatewayConfig {
        var config = testConfig(upstreamPort: port)
        var model = ModelConfig(name: "whisper-translate", provider: "wavonly", model: "whisper-1")
        model.translationVia = TranslationVia(transcriptionModel: "verbose-stt", chatModel: "translator-chat")
        config.models.append(model)
        return config
    }

    static func translate(_ client: any TestClientProtocol, format: String) async throws -> TestResponse {
        let (headers, body) = TranscriptionRouteTests.upload(model: "whisper-translate", file: MockUpstream.speechWAV, filename: "a.wav",
                                                             fields: [("response_format", format)])
        return try await client.execute(uri: "/v1/audio/translations", method: .post, headers: headers, body: body)
    }

    @Test func subtitlesKeepTheSourceTimesWithEachSegmentTranslated() async throws {
        try await withGateway(config: Self.config) { client, gateway, mock in
            let srt = try await Self.translate(client, format: "srt")
            #expect(srt.status == .ok, "\(String(buffer: srt.body))")
            #expect(String(buffer: srt.body) == "1\n00:00:00,000 --> 00:00:01,500\nEN: Hello there.\n\n2\n01:02:05,500 --> 01:02:07,250\nEN: General Kenobi.\n\n")
            let paths = mock.received.map(\.path)
            #expect(paths.contains("/v1/audio/transcriptions") && paths.contains("/v1/chat/completions"))
            #expect(!paths.contains("/v1/audio/translations"), "the retired route is never called")
            let vtt = try await Self.translate(client, format: "vtt")
            #expect(String(buffer: vtt.body).contains("01:02:05.500 --> 01:02:07.250\nEN: General Kenobi."))
            let text = try await Self.translate(client, format: "text")
            #expect(String(buffer: text.body) == "EN: Hello there. EN: General Kenobi.\n")
            let json = try await Self.translate(client, format: "verbose_json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer: json.body)) as? [String: Any])
            #expect(object["task"] as? String == "translate" && object["language"] as? String == "english")
            let row = try #require(try await logRows(gateway, atLeast: 4).first)
            #expect(row.model == "whisper-translate" && row.status == 200)
        }
    }

    @Test func aChatModelThatIsDownIsA502NamingItsProvider() async throws {
        try await withGateway(config: { port in
            var config = Self.config(port: port)
            config.models[config.models.count - 1].translationVia?.chatModel = "fail"
            return config
        }) { client, _, _ in
            let response = try await Self.translate(client, format: "srt")
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).message.contains("mock"))
        }
    }

    @Test func translationViaNamingAnUnknownModelIsAConfigError() throws {
        let yaml = """
            providers: {local: {type: builtin}}
            models:
              - {name: local-stt, provider: local, model: pocketsphinx}
              - {name: t, provider: local, model: pocketsphinx, translation_via: {transcription_model: local-stt, chat_model: nope}}
            """
        let error = #expect(throws: ConfigError.self) { try ConfigLoader(environment: [:]).parse(yaml, file: "chorus.yaml") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("translation_via.chat_model"))
        #expect("\(error.map { "\($0)" } ?? "")".contains("nope"))
    }
}
