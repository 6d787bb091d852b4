import ChorusGateway
import ChorusMedia
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import Testing

/// Uploads longer than a provider takes are split at silences, sent a few at a time, and stitched.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LongAudioTests {
    /// `minutes` of a tone that stops for 2 s every 7 s, as a 32 kbit/s MP3 (a 40-minute file is ~10 MB).
    static func longMP3(minutes: Int) throws -> [UInt8] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID().uuidString).mp3").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=\(minutes * 60)",
                             "-af", "volume='if(lt(mod(t,7),5),1,0)':eval=frame", "-ac", "1", "-ar", "16000", "-b:a", "32k", output]
        try process.run()
        process.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    static func config(port: Int, maxSeconds: Double = 600, maxMB: Double? = nil) -> GatewayConfig {
        var config = testConfig(upstreamPort: port)
        var provider = config.providers.first { $0.name == "wavonly" } ?? ProviderConfig(name: "splitter", type: .openai)
        provider.name = "splitter"
        provider.maxAudioSeconds = maxSeconds
        provider.maxUploadMB = maxMB
        provider.splitParallel = 2
        config.providers.append(provider)
        config.models += [ModelConfig(name: "piece-stt", provider: "splitter", model: "piece-stt"),
                          ModelConfig(name: "flaky-piece-stt", provider: "splitter", model: "flaky-piece-stt")]
        return config
    }

    /// Through Chorus's own HTTP client: a split upload can take longer (in a debug build) than the test client waits.
    static func transcribe(_ client: any TestClientProtocol, model: String = "piece-stt", audio: [UInt8], format: String,
                           stream: Bool = false) async throws -> (status: Int, body: ByteBuffer) {
        var fields = [("response_format", format)]
        if stream { fields.append(("stream", "true")) }
        let (headers, body) = TranscriptionRouteTests.upload(model: model, file: audio, filename: "long.mp3", fields: fields)
        let port = try #require(client.port)
        let http = try UpstreamClient()
        let response = try await http.execute(UpstreamRequest(
            method: "POST", url: "http://127.0.0.1:\(port)/v1/audio/transcriptions",
            headers: headers.map { ($0.name.rawName, $0.value) }, body: .bytes(body), timeout: 180))
        return (response.status, try await response.body.collect(upTo: 64 << 20))
    }

    @Test func aFortyMinuteUploadToATenMinuteProviderIsSplitSentAndStitched() async throws {
        let audio = try Self.longMP3(minutes: 40)
        try await withGateway(config: { Self.config(port: $0) }) { client, gateway, mock in
            let response = try await Self.transcribe(client, audio: audio, format: "verbose_json")
            #expect(response.status == 200, "\(String(buffer: response.body).prefix(300))")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let segments = try #require(json["segments"] as? [[String: Any]])
            let pieces = mock.pieces.withLockedValue { $0 }
            #expect(pieces.requests == segments.count && (5...6).contains(segments.count), "\(pieces)")
            #expect(pieces.most <= 2, "at most split_parallel pieces in flight")
            // Continuous: each piece starts where the one before ended, ids in order, the last ends at 40 minutes.
            for (index, segment) in segments.enumerated() {
                #expect(segment["id"] as? Int == index)
                let (start, end) = (segment["start"] as? Double ?? -1, segment["end"] as? Double ?? -1)
                #expect(end - start <= 600, "a piece longer than the provider takes")
                if index > 0 { #expect(abs(start - (segments[index - 1]["end"] as? Double ?? -9)) < 0.01) }
            }
            #expect(abs((segments.last?["end"] as? Double ?? 0) - 2400) < 1)
            #expect(json["text"] as? String == Array(repeating: "part", count: segments.count).joined(separator: " "))
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 200 && abs((row.audioSeconds ?? 0) - 2400) < 1)

            let srt = try await Self.transcribe(client, audio: audio, format: "srt")
            let cues = String(buffer: srt.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(cues.enumerated().allSatisfy { $1.hasPrefix("\($0 + 1)\n") }, "srt numbering continuous")
            #expect(cues.last?.contains("--> 00:40:00,000") == true)
        }
    }

    @Test func aFailedPieceIsRetriedAloneAndStreamedDeltasComeInOrder() async throws {
        let audio = try Self.longMP3(minutes: 3)
        try await withGateway(config: { Self.config(port: $0, maxSeconds: 60) }) { client, _, mock in
            let response = try await Self.transcribe(client, model: "flaky-piece-stt", audio: audio, format: "text", stream: true)
            #expect(response.status == 200)
            let events = String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            let pieces = mock.pieces.withLockedValue { $0 }
            #expect(pieces.requests == events.count, "one retry on top of a request per piece: \(pieces), \(events.count) events")
            #expect(events.last?.contains(#""type":"transcript.text.done""#) == true)
            #expect(events.dropLast().allSatisfy { $0.contains(#""delta":"part""#) || $0.contains(#""delta":" part""#) })
        }
    }

    @Test func anUploadOverTheProvidersSizeLimitIsSplitUnderIt() async throws {
        // 2 minutes of 16 kHz WAV: 3.84 MB.
        let audio = try AudioEncoder.encode(PCMAudio(samples: (0..<(16000 * 120)).map { Int16(truncatingIfNeeded: ($0 % 160) * 100) }, sampleRate: 16000),
                                            to: .wav, sampleRate: 16000, bitrate: nil)
        try await withGateway(config: { Self.config(port: $0, maxMB: 1) }) { client, _, mock in
            let response = try await Self.transcribe(client, audio: audio, format: "json")
            #expect(response.status == 200)
            // Four or five pieces (cut at the quietest point of each one's last stretch), each under 1 MB.
            let requests = mock.received.filter { $0.path == "/v1/audio/transcriptions" }
            #expect((4...5).contains(requests.count), "\(requests.count) pieces")
            #expect(requests.allSatisfy { $0.bytes.count < 1_000_000 })
        }
    }
}
