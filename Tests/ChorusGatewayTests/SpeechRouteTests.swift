import ChorusGateway
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SpeechRouteTests {
    static let expectedCodec: [String: String] = ["mp3": "mp3", "opus": "opus", "aac": "aac", "flac": "flac", "wav": "pcm_s16le"]

    func speech(_ client: any TestClientProtocol, _ json: String, uri: String = "/v1/audio/speech") async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
    }

    @Test(arguments: ["mp3", "opus", "aac", "flac", "wav", "pcm"])
    func embeddedEngineSpeaksEveryFormat(format: String) async throws {
        try await withGateway { client, gateway, _ in
            let response = try await speech(client, #"{"model":"local-tts","input":"Hello from the embedded engine.","voice":"alloy","response_format":"\#(format)"}"#)
            #expect(response.status == .ok)
            let contentType = ["mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm"][format]
            #expect(response.headers[.contentType] == contentType)
            let probed = try ffprobe(Array(buffer: response.body), rawPCM: format == "pcm")
            if format != "pcm" {
                #expect(probed.codec == Self.expectedCodec[format])
                #expect(probed.sampleRate == (format == "opus" ? 48000 : 24000))
                #expect(probed.channels == 1)
            }
            #expect(probed.duration > 1.0 && probed.duration < 5.0, "\(probed.duration) s")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/audio/speech")
            #expect(row.characters == 31)
            #expect(abs((row.audioSeconds ?? 0) - probed.duration) < 0.2)
        }
    }

    @Test func wavOnlyUpstreamIsTranscodedToMP3WhileItStreams() async throws {
        try await withGateway { client, gateway, mock in
            let port = try #require(client.port)
            let http = try UpstreamClient()
            let started = ContinuousClock.now
            let response = try await http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/audio/speech",
                headers: [("Authorization", "Bearer \(masterKey)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"wav-tts","input":"Hi","voice":"nova","response_format":"mp3"}"#))))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "audio/mpeg")
            var bytes: [UInt8] = []
            var firstAt: ContinuousClock.Instant?
            for try await chunk in response.body {
                if firstAt == nil { firstAt = .now }
                bytes += chunk.readableBytesView
            }
            await http.shutdown()
            // The mock needs 15 × 50 ms to send its clip; encoded audio must reach the client before it is done.
            let first = try #require(firstAt)
            let upstreamDone = try #require(mock.speechFinishedAt)
            #expect(first < upstreamDone, "first encoded byte \(first - started) after the request, upstream done at \(upstreamDone - started)")
            let probed = try ffprobe(bytes)
            #expect(probed.codec == "mp3")
            #expect(probed.sampleRate == 24000 && probed.channels == 1)
            #expect(abs(probed.duration - MockUpstream.speechSeconds) < 0.15, "\(probed.duration)")
            let sent = try #require(mock.lastReceived)
            #expect(sent.body.contains(#""response_format":"wav""#), "asks the provider for a format it lists")
            #expect(sent.body.contains(#""model":"upstream-tts""#))
            let row = try #require(try await logRows(gateway).first)
            #expect(abs((row.audioSeconds ?? 0) - MockUpstream.speechSeconds) < 0.15)
        }
    }

    @Test(arguments: ["opus", "aac", "flac", "pcm"])
    func wavOnlyUpstreamIsTranscodedToEveryOtherFormat(format: String) async throws {
        try await withGateway { client, _, _ in
            let response = try await speech(client, #"{"model":"wav-tts","input":"Hi","voice":"nova","response_format":"\#(format)"}"#)
            #expect(response.status == .ok)
            let probed = try ffprobe(Array(buffer: response.body), rawPCM: format == "pcm")
            if format != "pcm" { #expect(probed.codec == Self.expectedCodec[format]) }
            #expect(abs(probed.duration - MockUpstream.speechSeconds) < 0.15, "\(format): \(probed.duration)")
        }
    }

    @Test(arguments: ["mp3", "wav", "pcm"])
    func pcmOnlyUpstreamIsTranscodedFromHeaderlessPCM(format: String) async throws {
        try await withGateway { client, _, mock in
            let response = try await speech(client, #"{"model":"pcm-tts","input":"Hi","voice":"nova","response_format":"\#(format)"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(mock.lastReceived?.body.contains(#""response_format":"pcm""#) == true)
            let probed = try ffprobe(Array(buffer: response.body), rawPCM: format == "pcm")
            if format != "pcm" { #expect(probed.codec == Self.expectedCodec[format]) }
            #expect(abs(probed.duration - MockUpstream.speechSeconds) < 0.15, "\(format): \(probed.duration)")
        }
    }

    @Test func sseStreamFormatSendsDeltasAndADoneEventWithUsage() async throws {
        try await withGateway { client, _, _ in
            let response = try await speech(client, #"{"model":"local-tts","input":"Streaming speech events.","voice":"echo","response_format":"mp3","stream_format":"sse"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count >= 2)
            var audio = Data()
            for event in events.dropLast() {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any])
                #expect(json["type"] as? String == "speech.audio.delta")
                audio.append(try #require(Data(base64Encoded: json["audio"] as? String ?? "")))
            }
            let last = try #require(events.last)
            let done = try #require(try JSONSerialization.jsonObject(with: Data(last.dropFirst(6).utf8)) as? [String: Any])
            #expect(done["type"] as? String == "speech.audio.done")
            let usage = try #require(done["usage"] as? [String: Any])
            #expect(usage["input_characters"] as? Int == 24)
            #expect(try ffprobe(Array(audio)).codec == "mp3")
        }
    }

    @Test func differentPresetsSoundDifferent() async throws {
        try await withGateway { client, _, _ in
            let a = try await speech(client, #"{"model":"local-tts","input":"Same words.","voice":"alloy","response_format":"pcm"}"#)
            let b = try await speech(client, #"{"model":"local-tts","input":"Same words.","voice":"shimmer","response_format":"pcm"}"#)
            #expect(a.status == .ok && b.status == .ok)
            #expect(a.body != b.body)
        }
    }

    @Test(arguments: [
        (#"{"model":"local-tts","voice":"alloy"}"#, "input"),
        (#"{"model":"local-tts","input":"hi","voice":"alloy","response_format":"ogg"}"#, "response_format"),
        (#"{"model":"local-tts","input":"hi","voice":"alloy","speed":5}"#, "speed"),
        (#"{"model":"local-tts","input":"hi","voice":"alloy","speed":"fast"}"#, "speed"),
        (#"{"model":"local-tts","input":"hi"}"#, "voice"),
        (#"{"model":"local-tts","input":"hi","voice":"nobody-known"}"#, "voice"),
        (#"{"model":"local-tts","input":"hi","voice":42}"#, "voice"),
        (#"{"model":"local-tts","input":"hi","voice":"alloy","stream_format":"ws"}"#, "stream_format"),
        (#"{"model":"clone-tts","input":"hi","audio_sample":"!!!not base64!!!"}"#, "audio_sample"),
        (#"{"model":"clone-tts","input":"hi","audio_sample":"aGVsbG8gd29ybGQsIHRoaXMgaXMgdGV4dA=="}"#, "audio_sample"),
        (#"{"model":"local-tts","input":"hi","audio_sample":"UklGRg=="}"#, "audio_sample"),
    ])
    func invalidSpeechRequestsAre400NamingTheParameter(body: String, param: String) async throws {
        try await withGateway { client, gateway, _ in
            let response = try await speech(client, body)
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            #expect(try errorBody(response).param == param, "\(String(buffer: response.body))")
            #expect(try await logRows(gateway).first?.status == 400)
        }
    }

    @Test func inputOver4096CharactersIsRefused() async throws {
        try await withGateway { client, _, _ in
            let response = try await speech(client, #"{"model":"local-tts","voice":"alloy","input":""# + String(repeating: "a", count: 4097) + #""}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "input")
        }
    }

    @Test func providerErrorsPassThrough() async throws {
        try await withGateway { client, _, _ in
            let response = try await speech(client, #"{"model":"wav-tts","input":"hi","voice":"nobody"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).message.contains("nobody"))
        }
    }

    @Test func lollmsAliasSpeaks() async throws {
        try await withGateway { client, _, _ in
            let response = try await speech(client, #"{"model":"local-tts","input":"Bonjour","voice":"nova","language":"fr","response_format":"wav"}"#,
                                            uri: "/lollms/v1/audio/speech")
            #expect(response.status == .ok)
            #expect(try ffprobe(Array(buffer: response.body)).codec == "pcm_s16le")
            let voices = try await client.execute(uri: "/lollms/v1/audio/voices", method: .get, headers: bearer(masterKey))
            #expect(String(buffer: voices.body).contains("\"alloy\""))
        }
    }
}
