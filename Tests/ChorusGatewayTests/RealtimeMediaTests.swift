@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// `speech_via: realtime` and `transcription_via: realtime`: the REST media routes served by a realtime upstream
/// (`MockRealtimeUpstream`, a live WebSocket server) once the REST models are retired.
@Suite(.serialized) struct RealtimeMediaTests {
    static func config(upstreamPort: Int) -> GatewayConfig {
        var config = RealtimeGatewayTests.config(upstreamPort: upstreamPort)
        var voice = ModelConfig(name: "rt-voice", provider: "rtmock", model: "gpt-realtime", capabilities: [.speech, .realtime])
        voice.speechViaRealtime = true
        var refusing = ModelConfig(name: "rt-voice-refused", provider: "rtmock", model: "refuse", capabilities: [.speech])
        refusing.speechViaRealtime = true
        var ears = ModelConfig(name: "rt-ears", provider: "rtmock", model: "gpt-4o-transcribe", capabilities: [.transcription])
        ears.transcriptionViaRealtime = true
        config.models += [voice, refusing, ears]
        return config
    }

    func withMedia(_ body: @Sendable (any TestClientProtocol, Gateway, MockRealtimeUpstream) async throws -> Void) async throws {
        let mock = MockRealtimeUpstream()
        try await mock.run {
            let config = Self.config(upstreamPort: mock.port)
            let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "test"))
            try await gateway.application.test(.live) { client in
                try await body(client, gateway, mock)
            }
            try? FileManager.default.removeItem(atPath: config.database)
        }
    }

    static func speech(_ client: any TestClientProtocol, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
    }

    @Test(arguments: ["mp3", "opus", "aac", "flac", "wav", "pcm"])
    func speechThroughARealtimeModelIsValidAudioInEveryFormat(format: String) async throws {
        try await withMedia { client, gateway, _ in
            let response = try await Self.speech(client, #"{"model":"rt-voice","input":"Read me aloud.","voice":"marin","response_format":"\#(format)"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let probed = try ffprobe(Array(buffer: response.body), rawPCM: format == "pcm")
            if format != "pcm" {
                #expect(probed.codec == SpeechRouteTests.expectedCodec[format])
                #expect(probed.channels == 1)
            }
            // The mock reads 0.6 s; encoders pad a little.
            #expect(probed.duration > 0.5 && probed.duration < 0.8, "\(probed.duration) s")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/audio/speech" && row.model == "rt-voice" && row.status == 200)
            #expect(row.characters == 14)
            #expect(abs((row.audioSeconds ?? 0) - 0.6) < 0.05)
        }
    }

    @Test func theUpstreamIsAskedToReadTheInputVerbatimInTheCallersVoice() async throws {
        try await withMedia { client, _, mock in
            let response = try await Self.speech(client, #"{"model":"rt-voice","input":"Exactly these words.","voice":"marin","instructions":"Whisper.","speed":1.25,"response_format":"wav"}"#)
            #expect(response.status == .ok)
            let received = mock.received.withLockedValue { $0 }
            #expect(received.uris.last?.contains("model=gpt-realtime") == true)
            #expect(received.authorizations.last == "Bearer \(RealtimeGatewayTests.upstreamKey)")
            let events = received.frames.compactMap { frame -> [String: Any]? in
                guard case .text(let text) = frame else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            }
            let update = try #require(events.first { $0["type"] as? String == "session.update" })
            let session = try #require(update["session"] as? [String: Any])
            let instructions = try #require(session["instructions"] as? String)
            #expect(instructions.hasPrefix(RealtimeSpeechReader.verbatim) && instructions.hasSuffix("Whisper."))
            let output = try #require((session["audio"] as? [String: Any])?["output"] as? [String: Any])
            #expect(output["voice"] as? String == "marin" && output["speed"] as? Double == 1.25)
            let create = try #require(events.first { $0["type"] as? String == "response.create" })
            let asked = try #require(create["response"] as? [String: Any])
            #expect(asked["conversation"] as? String == "none")
            let input = try #require((asked["input"] as? [[String: Any]])?.first?["content"] as? [[String: Any]])
            #expect(input.first?["text"] as? String == "Exactly these words.")
        }
    }

    @Test func speechThroughARealtimeModelStreamsAsSSE() async throws {
        try await withMedia { client, _, _ in
            let response = try await Self.speech(client, #"{"model":"rt-voice","input":"Streamed.","voice":"marin","response_format":"mp3","stream_format":"sse"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            var audio = Data()
            for event in events.dropLast() {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any])
                #expect(json["type"] as? String == "speech.audio.delta")
                audio.append(try #require(Data(base64Encoded: json["audio"] as? String ?? "")))
            }
            #expect(events.last?.contains("speech.audio.done") == true)
            #expect(try ffprobe(Array(audio)).codec == "mp3")
        }
    }

    @Test func aVoiceTheUpstreamLacksIsA400NamingTheVoice() async throws {
        try await withMedia { client, gateway, _ in
            let response = try await Self.speech(client, #"{"model":"rt-voice","input":"Hello.","voice":"\#(MockRealtimeUpstream.unknownVoice)"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "voice")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 400)
        }
    }

    @Test func aCloningSampleIsRefusedBeforeAnySessionOpens() async throws {
        try await withMedia { client, _, mock in
            let sample = Data(MockUpstream.speechWAV).base64EncodedString()
            let response = try await Self.speech(client, #"{"model":"rt-voice","input":"Hello.","audio_sample":"\#(sample)"}"#)
            #expect(response.status == .badRequest)
            #expect(mock.received.withLockedValue { $0.opened } == 0)
        }
    }

    @Test func anUpstreamRefusingTheSessionIsA502() async throws {
        try await withMedia { client, gateway, _ in
            let response = try await Self.speech(client, #"{"model":"rt-voice-refused","input":"Hello.","voice":"marin"}"#)
            #expect(response.status == .badGateway, "\(String(buffer: response.body))")
            #expect(try errorBody(response).message.contains("rtmock"))
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 502)
        }
    }

    @Test(arguments: ["json", "text", "verbose_json", "srt"])
    func transcriptionThroughARealtimeSessionHearsTheWholeUpload(format: String) async throws {
        try await withMedia { client, gateway, mock in
            let (headers, body) = TranscriptionRouteTests.upload(model: "rt-ears", file: MockUpstream.speechWAV, filename: "a.wav",
                                                                 fields: [("response_format", format)])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let text = String(buffer: response.body)
            // 1.5 s at 24 kHz arrived in full: the mock says how much it heard.
            #expect(text.contains("The mock heard 1.5 seconds of audio."), "\(text)")
            if format == "srt" { #expect(text.contains(" --> ")) }
            let received = mock.received.withLockedValue { $0 }
            #expect(received.uris.last?.contains("intent=transcription") == true)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/audio/transcriptions" && row.status == 200)
            #expect(abs((row.audioSeconds ?? 0) - MockUpstream.speechSeconds) < 0.05)
        }
    }
}
