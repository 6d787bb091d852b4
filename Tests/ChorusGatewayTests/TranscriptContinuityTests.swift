@testable import ChorusGateway
import ChorusEngines
import ChorusMedia
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// Every response format from any provider: whatever it answers is read for what it is, and text where times were
/// asked is aligned to the audio locally (`x-chorus-timestamps: aligned`).
// Serialised: each alignment loads a recogniser and decodes the clip, on a 2-core machine.
@Suite(.serialized, .timeLimit(.minutes(3))) struct TranscriptContinuityTests {
    /// The text-only model's transcript spoken word by word by the embedded engine, 16 kHz WAV, with each word's
    /// true start: times to check alignment against.
    static func spokenTranscript(_ client: any TestClientProtocol) async throws -> (wav: [UInt8], starts: [Double]) {
        let rate = 16000
        var samples = [Int16](repeating: 0, count: rate / 2)
        var starts: [Double] = []
        for word in MockUpstream.textOnlyTranscript.split(separator: " ") {
            let spoken = try await TranscriptionRouteTests.spoken(client, format: "wav", text: String(word))
            let pcm = try AudioDecoder.decode(spoken, sampleRate: rate).samples
            let first = pcm.firstIndex { abs(Int($0)) > 300 } ?? 0
            let last = pcm.lastIndex { abs(Int($0)) > 300 } ?? pcm.count - 1
            starts.append(Double(samples.count) / Double(rate))
            samples += pcm[first...max(first, last)]
            samples += [Int16](repeating: 0, count: rate * 15 / 100)
        }
        samples += [Int16](repeating: 0, count: rate / 2)
        return (try AudioEncoder.encode(PCMAudio(samples: samples, sampleRate: rate), to: .wav, sampleRate: rate, bitrate: nil), starts)
    }

    static func transcribe(_ client: any TestClientProtocol, model: String, audio: [UInt8], format: String,
                           words: Bool = false) async throws -> TestResponse {
        var fields = [("response_format", format)]
        if words { fields.append(("timestamp_granularities[]", "word")) }
        let (headers, body) = TranscriptionRouteTests.upload(model: model, file: audio, filename: "speech.wav", fields: fields)
        return try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
    }

    @Test func aTextOnlyProviderGivesWordTimesAndSubtitlesAlignedToTheAudio() async throws {
        try await withGateway { client, _, _ in
            let (audio, truth) = try await Self.spokenTranscript(client)
            let response = try await Self.transcribe(client, model: "text-stt", audio: audio, format: "verbose_json", words: true)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.headers[TranscriptionRoutes.timestampsHeader] == "aligned")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(json["text"] as? String == MockUpstream.textOnlyTranscript)
            let words = try #require(json["words"] as? [[String: Any]])
            #expect(words.count == truth.count)
            let errors = zip(words, truth).map { abs(($0["start"] as? Double ?? -9) - $1) }.sorted()
            let median = errors[errors.count / 2]
            print("aligned through the gateway: median start error \(median) s")
            #expect(median < 0.3)
            #expect((json["segments"] as? [[String: Any]])?.isEmpty == false)

            for format in ["srt", "vtt"] {
                let subtitles = try await Self.transcribe(client, model: "text-stt", audio: audio, format: format)
                #expect(subtitles.status == .ok)
                #expect(subtitles.headers[TranscriptionRoutes.timestampsHeader] == "aligned")
                let text = String(buffer: subtitles.body)
                #expect(text.contains("-->") && text.contains("garden."))
                #expect(format == "vtt" ? text.hasPrefix("WEBVTT") : text.hasPrefix("1\n"))
            }
        }
    }

    @Test func aTextOnlyProviderAskedForTextOrJSONNeedsNoAlignment() async throws {
        try await withGateway { client, _, _ in
            let audio = try await TranscriptionRouteTests.spoken(client, format: "wav")
            let json = try await Self.transcribe(client, model: "text-stt", audio: audio, format: "json")
            #expect(json.status == .ok && json.headers[TranscriptionRoutes.timestampsHeader] == nil)
            #expect(String(buffer: json.body) == #"{"text":"\#(MockUpstream.textOnlyTranscript)"}"#, "passed through as answered")
            let text = try await Self.transcribe(client, model: "text-stt", audio: audio, format: "text")
            #expect(String(buffer: text.body).trimmingCharacters(in: .whitespacesAndNewlines) == MockUpstream.textOnlyTranscript)
        }
    }

    /// The verbose provider answers verbose_json whatever it is asked.
    @Test func aProviderIgnoringResponseFormatStillGivesTheAskedFormat() async throws {
        try await withGateway { client, _, _ in
            let audio = try await TranscriptionRouteTests.spoken(client, format: "wav")
            let srt = try await Self.transcribe(client, model: "verbose-stt", audio: audio, format: "srt")
            #expect(srt.status == .ok && srt.headers[TranscriptionRoutes.timestampsHeader] == nil, "the provider's own times")
            #expect(String(buffer: srt.body).contains("01:02:05,500 --> 01:02:07,250"))
            let json = try await Self.transcribe(client, model: "verbose-stt", audio: audio, format: "json")
            #expect(String(buffer: json.body) == #"{"text":"Hello there. General Kenobi."}"#)
            let text = try await Self.transcribe(client, model: "verbose-stt", audio: audio, format: "text")
            #expect(String(buffer: text.body).trimmingCharacters(in: .whitespacesAndNewlines) == "Hello there. General Kenobi.")
        }
    }

    @Test func aProviderAnsweringGarbageIsA502NamingItAndARow() async throws {
        try await withGateway { client, gateway, _ in
            let audio = try await TranscriptionRouteTests.spoken(client, format: "wav")
            let response = try await Self.transcribe(client, model: "garbage-stt", audio: audio, format: "srt")
            #expect(response.status == .badGateway)
            #expect(try errorBody(response).message.contains("textonly"))
            let rows = try await logRows(gateway, atLeast: 2)
            #expect(rows.first?.status == 502 && rows.first?.model == "garbage-stt")
        }
    }

    @Test func subtitleAnswersAreReadAsTimedTranscripts() throws {
        let srt = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:03,000 --> 00:00:04,000\nGeneral Kenobi.\n"
        guard case .timed(let transcript, let format)? = UpstreamTranscript(body: ByteBuffer(string: srt), contentType: "text/plain") else {
            Issue.record("srt not read as timed"); return
        }
        #expect(format == .srt && transcript.segments.map(\.start) == [1, 3] && transcript.text == "Hello there. General Kenobi.")
        let vtt = "WEBVTT\n\n00:01.000 --> 00:02.500\nHello.\n"
        #expect(UpstreamTranscript(body: ByteBuffer(string: vtt), contentType: "text/vtt")?.format == .vtt)
        #expect(UpstreamTranscript(body: ByteBuffer(string: "plain words"), contentType: "text/plain")?.format == .text)
        #expect(UpstreamTranscript(body: ByteBuffer(string: #"{"error":"x"}"#), contentType: "application/json") == nil)
        #expect(UpstreamTranscript(body: ByteBuffer(string: ""), contentType: "text/plain") == nil)
    }
}
