@testable import ChorusGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Serialized: most cases are CPU-bound (pocketsphinx decodes, a 25 MB multipart body parsed by a debug build); run
/// side by side on 2 busy cores they starved each other past the test client's 20 s read timeout.
@Suite(.serialized) struct TranscriptionRouteTests {
    static func upload(model: String, file: [UInt8], filename: String, fields: [(String, String)] = []) -> (HTTPFields, ByteBuffer) {
        let boundary = "chorus-stt-boundary"
        var body = ByteBuffer()
        for (name, value) in [("model", model)] + fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return ([.authorization: "Bearer \(masterKey)", .contentType: "multipart/form-data; boundary=\(boundary)"], body)
    }

    /// Speech from the embedded engine, as the round trip the acceptance asks for.
    static func spoken(_ client: any TestClientProtocol, format: String = "mp3",
                       text: String = "Hello world. This is a test of the gateway.") async throws -> [UInt8] {
        let response = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                                body: ByteBuffer(string: #"{"model":"local-tts","input":"\#(text)","voice":"alloy","response_format":"\#(format)"}"#))
        return Array(buffer: response.body)
    }

    @Test(arguments: ["json", "text", "srt", "vtt", "verbose_json"])
    func embeddedRoundTripGivesATranscriptInEveryFormat(format: String) async throws {
        try await withGateway { client, gateway, _ in
            let audio = try await Self.spoken(client)
            let (headers, body) = Self.upload(model: "local-stt", file: audio, filename: "speech.mp3",
                                              fields: [("response_format", format), ("timestamp_granularities[]", "word")])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let text = String(buffer: response.body)
            switch format {
            case "json":
                let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                #expect(!(json["text"] as? String ?? "").isEmpty)
            case "verbose_json":
                let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                #expect(json["task"] as? String == "transcribe")
                #expect(json["language"] as? String == "english")
                #expect((json["duration"] as? Double ?? 0) > 1)
                #expect(!(json["segments"] as? [Any] ?? []).isEmpty)
                #expect(!(json["words"] as? [Any] ?? []).isEmpty)
            case "srt":
                #expect(text.hasPrefix("1\n00:00:"))
                #expect(text.contains(" --> "))
            case "vtt":
                #expect(text.hasPrefix("WEBVTT\n\n00:00:"))
            default:
                #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
            let rows = try await logRows(gateway, atLeast: 2)
            let row = try #require(rows.first { $0.route == "/audio/transcriptions" })
            #expect((row.audioSeconds ?? 0) > 1)
        }
    }

    @Test(arguments: ["ogg", "m4a", "wav"])
    func otherContainersAreAccepted(container: String) async throws {
        try await withGateway { client, _, _ in
            let wav = try await Self.spoken(client, format: "wav")
            let converted = try convert(wav, to: container)
            let (headers, body) = Self.upload(model: "local-stt", file: converted, filename: "speech.\(container)")
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
        }
    }

    @Test func verboseOnlyProviderIsAskedForVerboseJSONAndChorusRendersSRTAndVTTWithHours() async throws {
        try await withGateway { client, _, mock in
            let audio = try await Self.spoken(client, format: "wav")
            for (format, expected) in [
                ("srt", "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:02:05,500 --> 01:02:07,250\nGeneral Kenobi.\n\n"),
                ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n01:02:05.500 --> 01:02:07.250\nGeneral Kenobi.\n\n"),
                ("text", "Hello there. General Kenobi.\n"),
            ] {
                let (headers, body) = Self.upload(model: "verbose-stt", file: audio, filename: "a.wav", fields: [("response_format", format)])
                let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == expected)
                let sent = try #require(mock.lastReceived)
                #expect(sent.body.contains("verbose_json"), "Chorus asks the provider for verbose_json")
                #expect(sent.body.contains("upstream-stt"))
            }
            // json is native for this provider, but it answers verbose_json anyway: the caller still gets json.
            let (headers, body) = Self.upload(model: "verbose-stt", file: audio, filename: "a.wav", fields: [("response_format", "json")])
            let json = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(String(buffer: json.body) == #"{"text":"Hello there. General Kenobi."}"#)
            let (verboseHeaders, verboseBody) = Self.upload(model: "verbose-stt", file: audio, filename: "a.wav", fields: [("response_format", "verbose_json")])
            let passthrough = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: verboseHeaders, body: verboseBody)
            #expect(String(buffer: passthrough.body) == MockUpstream.verboseTranscript, "the asked format passes through as answered")
        }
    }

    /// A provider with `transcription_input: wav16k` gets a canonical 16 kHz mono 16-bit WAV of the upload, as long
    /// as the upload (the conversion path had no test before its buffer handling was rewritten).
    @Test func wav16kProviderReceivesA16kHzMonoWAVOfTheUpload() async throws {
        try await withGateway { client, gateway, mock in
            let audio = try await Self.spoken(client, format: "mp3")
            let (headers, body) = Self.upload(model: "wav16k-stt", file: audio, filename: "speech.mp3", fields: [("response_format", "json")])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            let sent = try #require(mock.received.last { $0.path == "/v1/audio/transcriptions" })
            #expect(sent.body.contains(#"filename="audio.wav""#))
            let riff = Array("RIFF".utf8)
            let start = try #require(sent.bytes.indices.first { sent.bytes[$0...].starts(with: riff) })
            let wav = Array(sent.bytes[start...])
            func u16(_ at: Int) -> Int { Int(wav[at]) | Int(wav[at + 1]) << 8 }
            func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
            #expect(Array(wav[8..<16]) == Array("WAVEfmt ".utf8))
            #expect(u16(20) == 1 && u16(22) == 1, "PCM, mono")
            #expect(u32(24) == 16000 && u16(34) == 16, "16 kHz, 16-bit")
            #expect(Array(wav[36..<40]) == Array("data".utf8))
            let dataBytes = u32(40)
            #expect(u32(4) == 36 + dataBytes)
            // The part ends right after the samples: CRLF and the closing boundary follow.
            #expect(wav.count >= 44 + dataBytes && wav[(44 + dataBytes)...].starts(with: Array("\r\n--".utf8)))
            let seconds = Double(dataBytes / 2) / 16000
            let row = try #require(try await logRows(gateway, atLeast: 2).first { $0.route == "/audio/transcriptions" })
            let logged = try #require(row.audioSeconds)
            #expect(abs(logged - seconds) < 0.01)
            #expect(seconds > 1 && seconds < 10)
        }
    }

    @Test func textFileIs400NamingFile() async throws {
        try await withGateway { client, gateway, _ in
            let (headers, body) = Self.upload(model: "local-stt", file: Array("this is not audio at all".utf8), filename: "notes.txt")
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "file")
            // In words, without Swift's type names (it said "AudioError.not_audio: …").
            let message = try errorBody(response).message
            #expect(message.hasPrefix("The uploaded file is not audio Chorus can decode ("), "\(message)")
            #expect(!message.contains("AudioError") && !message.contains("Error."), "\(message)")
            #expect(try await logRows(gateway).first?.status == 400)
        }
    }

    @Test func uploadOverTheLimitIs413() async throws {
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.server.maxUploadMB = 1
            return config
        }) { client, gateway, _ in
            let (headers, body) = Self.upload(model: "local-stt", file: [UInt8](repeating: 7, count: 3 << 20), filename: "big.wav")
            var noLength = headers
            noLength[.contentLength] = nil
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: noLength, body: body)
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response).code == "payload_too_large")
            #expect(try await logRows(gateway).first?.status == 413)
        }
    }

    /// Above the default 25 MB limit, with and without a Content-Length: 413 in OpenAI's error shape (from the header
    /// at once, or while the body streams in), and the gateway goes on serving uploads afterwards.
    @Test(arguments: [true, false])
    func uploadAboveTheDefaultLimitIs413AndTheGatewayKeepsServing(declaresLength: Bool) async throws {
        try await withGateway { client, gateway, mock in
            let big = [UInt8](repeating: 0x55, count: 30_000_000)
            let (declared, body) = Self.upload(model: "gpt-test", file: big, filename: "big.wav")
            var headers = declared
            if !declaresLength { headers[.contentLength] = nil }
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .contentTooLarge)
            let error = try errorBody(response)
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "payload_too_large")
            #expect(!error.message.isEmpty)
            #expect(mock.received.isEmpty, "nothing of a refused upload reaches the provider")

            let audio = try await Self.spoken(client, format: "wav", text: "Hello.")
            let (okHeaders, okBody) = Self.upload(model: "gpt-test", file: audio, filename: "speech.wav")
            let after = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: okHeaders, body: okBody)
            #expect(after.status == .ok, "\(String(buffer: after.body))")
            let rows = try await logRows(gateway, atLeast: 3)
            #expect(rows.filter { $0.route == "/audio/transcriptions" }.map(\.status).sorted() == [200, 413])
        }
    }

    /// Another file part before the audio (it takes the up-front reservation the declared length allows): the audio
    /// part after it is still read and forwarded.
    @Test func fileAfterAnotherFilePartIsForwarded() async throws {
        try await withGateway { client, _, mock in
            let audio = try await Self.spoken(client, format: "wav", text: "Hello.")
            let boundary = "chorus-two-files"
            var body = ByteBuffer()
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-test\r\n")
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"notes\"; filename=\"a.bin\"\r\n\r\nxyz\r\n")
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\n")
            body.writeString("Content-Type: audio/wav\r\n\r\n")
            body.writeBytes(audio)
            body.writeString("\r\n--\(boundary)--\r\n")
            let response = try await client.execute(
                uri: "/v1/audio/transcriptions", method: .post,
                headers: [.authorization: "Bearer \(masterKey)", .contentType: "multipart/form-data; boundary=\(boundary)"], body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let received = try #require(mock.received.last)
            #expect(received.body.contains("filename=\"speech.wav\""))
            #expect(received.body.contains("RIFF"), "the forwarded file starts with the WAV header")
        }
    }

    /// A transcript answered whole (rendered by Chorus, not streamed) still gets a time to first byte in its row.
    @Test(arguments: [("local-stt", "json"), ("verbose-stt", "srt")])
    func wholeTranscriptRowsHaveATimeToFirstByte(model: String, format: String) async throws {
        try await withGateway { client, gateway, _ in
            let audio = try await Self.spoken(client, format: "wav", text: "Hello.")
            let (headers, body) = Self.upload(model: model, file: audio, filename: "speech.wav", fields: [("response_format", format)])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let rows = try await logRows(gateway, atLeast: 2)
            let row = try #require(rows.first { $0.route == "/audio/transcriptions" })
            let ttfb = try #require(row.ttfbMs, "ttfb_ms is empty")
            #expect(ttfb > 0)
            #expect(ttfb <= row.latencyMs)
        }
    }

    /// Regression: the embedded recogniser's normalisation carried over between requests, so one file sent twice
    /// came back as two different transcripts.
    @Test func theSameUploadGivesTheSameTranscriptFiveTimes() async throws {
        try await withGateway { client, _, _ in
            let audio = try await Self.spoken(client)
            let other = try await Self.spoken(client, text: "Please turn off the lights in the kitchen.")
            var transcripts: [String] = []
            for _ in 0..<5 {
                for (file, keep) in [(other, false), (audio, true)] {
                    let (headers, body) = Self.upload(model: "local-stt", file: file, filename: "speech.mp3", fields: [("response_format", "text")])
                    let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
                    #expect(response.status == .ok)
                    if keep { transcripts.append(String(buffer: response.body)) }
                }
            }
            #expect(!(transcripts.first ?? "").isEmpty)
            #expect(Set(transcripts).count == 1, "\(transcripts)")
        }
    }

    @Test func streamingGivesDeltaAndDoneEvents() async throws {
        try await withGateway { client, _, _ in
            let audio = try await Self.spoken(client)
            let (headers, body) = Self.upload(model: "local-stt", file: audio, filename: "s.mp3", fields: [("stream", "true")])
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let last = try #require(events.last)
            #expect(last.contains(#""type":"transcript.text.done""#))
            #expect(events.dropLast().allSatisfy { $0.contains(#""type":"transcript.text.delta""#) })
            // The deltas joined are the final text.
            let payloads = events.compactMap { event -> [String: Any]? in
                guard let line = event.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
            }
            let joined = payloads.compactMap { $0["delta"] as? String }.joined()
            let done = try #require(payloads.last?["text"] as? String)
            #expect(!done.isEmpty)
            #expect(joined == done)
        }
    }

    @Test func missingFileAndBadFormatAre400() async throws {
        try await withGateway { client, _, _ in
            let (headers, body) = Self.upload(model: "local-stt", file: [], filename: "x.wav")
            let noFile = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers, body: body)
            #expect(try errorBody(noFile).param == "file")
            let (h2, b2) = Self.upload(model: "local-stt", file: [1, 2, 3], filename: "x.wav", fields: [("response_format", "docx")])
            let badFormat = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: h2, body: b2)
            #expect(try errorBody(badFormat).param == "response_format")
        }
    }
}

func convert(_ wav: [UInt8], to container: String) throws -> [UInt8] {
    let dir = FileManager.default.temporaryDirectory
    let input = dir.appendingPathComponent("c-\(UUID().uuidString).wav").path
    let output = dir.appendingPathComponent("c-\(UUID().uuidString).\(container)").path
    _ = FileManager.default.createFile(atPath: input, contents: Data(wav))
    defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }
    _ = try ChildProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-y", "-i", input, output])
    return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
}
