import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Diarizing models: their parameters forwarded intact, `chunking_strategy: auto` added when missing, and
/// subtitles rendered from the speakers' segments.
@Suite struct DiarizationTests {
    static func transcribe(_ client: any TestClientProtocol, model: String = "diarize-stt", fields: [(String, String)]) async throws -> TestResponse {
        let audio = MockUpstream.speechWAV
        let (headers, body) = TranscriptionRouteTests.upload(model: model, file: audio, filename: "a.wav", fields: fields)
        return try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
    }

    @Test func diarizedJSONPassesThroughWithAutoChunkingAndTheKnownSpeakersForwarded() async throws {
        try await withGateway { client, _, mock in
            let reference = "data:audio/wav;base64," + Data(MockUpstream.speechWAV).base64EncodedString()
            let response = try await Self.transcribe(client, fields: [
                ("response_format", "diarized_json"), ("known_speaker_names[]", "Grievous"), ("known_speaker_references[]", reference),
            ])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(String(buffer: response.body) == MockUpstream.diarizedTranscript)
            let sent = try #require(mock.lastReceived)
            #expect(MockUpstream.formField("response_format", in: sent.body) == "diarized_json")
            #expect(MockUpstream.formField("chunking_strategy", in: sent.body) == "auto")
            #expect(MockUpstream.formField("known_speaker_names[]", in: sent.body) == "Grievous")
            let whole = String(decoding: sent.bytes, as: UTF8.self)
            #expect(MockUpstream.formField("known_speaker_references[]", in: whole) == reference)
        }
    }

    @Test func aCallersChunkingStrategyIsForwardedAsSent() async throws {
        try await withGateway { client, _, mock in
            let strategy = #"{"type":"server_vad","threshold":0.6}"#
            let response = try await Self.transcribe(client, fields: [("response_format", "json"), ("chunking_strategy", strategy)])
            #expect(response.status == .ok)
            #expect(MockUpstream.formField("chunking_strategy", in: try #require(mock.lastReceived).body) == strategy)
        }
    }

    @Test func subtitlesFromADiarizingModelNameTheSpeakers() async throws {
        try await withGateway { client, _, mock in
            let srt = try await Self.transcribe(client, fields: [("response_format", "srt")])
            #expect(String(buffer: srt.body) == "1\n00:00:00,000 --> 00:00:01,500\nA: Hello there.\n\n2\n00:00:02,000 --> 00:00:04,500\nGrievous: General Kenobi.\n\n")
            #expect(MockUpstream.formField("response_format", in: try #require(mock.lastReceived).body) == "diarized_json",
                    "a diarizing model is asked for its speakers' segments")
            let vtt = try await Self.transcribe(client, fields: [("response_format", "vtt")])
            #expect(String(buffer: vtt.body).contains("00:00:02.000 --> 00:00:04.500\n<v Grievous>General Kenobi.\n"))
        }
    }

    @Test(arguments: [
        ([("chunking_strategy", "sometimes")], "chunking_strategy"),
        ([("known_speaker_names[]", "A")], "known_speaker_references"),
        ([("known_speaker_names[]", "A"), ("known_speaker_references[]", "not a data url")], "known_speaker_references"),
        ((1...5).map { ("known_speaker_names[]", "S\($0)") } + (1...5).map { _ in ("known_speaker_references[]", "data:audio/wav;base64,AAAA") },
         "known_speaker_names"),
    ])
    func malformedDiarizationParametersAre400NamingThem(fields: [(String, String)], param: String) async throws {
        try await withGateway { client, _, mock in
            let before = mock.received.count
            let response = try await Self.transcribe(client, fields: fields)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == param)
            #expect(mock.received.count == before, "the provider saw nothing")
        }
    }

    @Test func theEmbeddedRecogniserRefusesDiarizedJSONSayingWhy() async throws {
        try await withGateway { client, _, _ in
            let response = try await Self.transcribe(client, model: "local-stt", fields: [("response_format", "diarized_json")])
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).message.contains("cannot tell speakers apart"))
        }
    }
}
