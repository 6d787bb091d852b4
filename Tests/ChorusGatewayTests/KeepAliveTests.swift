import ChorusGateway
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Streamed answers leave the client's keep-alive connection usable, as whole answers do: a pooled client (OpenAI
/// SDK, aiohttp, requests) sends its next request on it. Checked with a raw TCP client, which shows exactly
/// whether the server closed the connection or announced it.
@Suite struct KeepAliveTests {
    static let streamedChat = #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    @Test func threeStreamedChatCallsInARowShareOneKeepAliveConnection() async throws {
        try await withGateway(mock: MockUpstream(sseChunks: 3, sseInterval: .milliseconds(10))) { client, gateway, mock in
            try await RawHTTPConnection.with(port: try #require(client.port)) { connection in
                for call in 1...3 {
                    try await connection.post("/v1/chat/completions", json: Self.streamedChat)
                    let response = try await connection.readResponse()
                    #expect(response.status == 200, "call \(call)")
                    #expect(response.chunked, "call \(call) is streamed")
                    #expect(response.header("connection")?.lowercased() != "close", "call \(call)")
                    #expect(response.text == mock.sseEvents(model: "upstream-model").joined(), "call \(call)")
                }
                #expect(!connection.serverClosed)
            }
            let rows = try await logRows(gateway, atLeast: 3)
            #expect(rows.prefix(3).allSatisfy { $0.status == 200 && $0.stream && $0.error == nil })
        }
    }

    /// Speech streamed as chunked audio and as SSE, transcriptions streamed from the embedded engine and from an
    /// upstream, then a plain request: one connection throughout.
    @Test func streamedSpeechAndTranscriptionsKeepTheConnection() async throws {
        try await withGateway { client, _, _ in
            try await RawHTTPConnection.with(port: try #require(client.port)) { connection in
                try await connection.post("/v1/audio/speech", json: #"{"model":"local-tts","input":"Hello world.","voice":"alloy","response_format":"wav"}"#)
                let speech = try await connection.readResponse()
                #expect(speech.status == 200)
                #expect(speech.chunked, "raw audio is streamed as it is encoded")
                #expect(speech.body.starts(with: Array("RIFF".utf8)))

                try await connection.post("/v1/audio/speech", json: #"{"model":"local-tts","input":"Hello.","voice":"alloy","stream_format":"sse"}"#)
                let events = try await connection.readResponse()
                #expect(events.status == 200)
                #expect(events.text.contains("speech.audio.done"))

                for model in ["local-stt", "verbose-stt"] {
                    let (headers, body) = TranscriptionRouteTests.upload(model: model, file: speech.body, filename: "s.wav",
                                                                         fields: [("stream", "true")])
                    var head = "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.readableBytes)\r\n"
                    for field in headers { head += "\(field.name.rawName): \(field.value)\r\n" }
                    try await connection.send(head + "\r\n")
                    try await connection.send(Array(buffer: body))
                    let transcript = try await connection.readResponse(within: .seconds(20))
                    #expect(transcript.status == 200, "\(model): \(transcript.text.prefix(200))")
                    #expect(transcript.header("connection")?.lowercased() != "close", "\(model)")
                }

                try await connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(try await connection.readResponse().status == 200)
                #expect(!connection.serverClosed)
            }
        }
    }

    /// The hang-up is noticed from the connection itself, not only when the next chunk fails to write: with 3 s
    /// between upstream chunks, the upstream transfer is gone and the row written long before a write could fail.
    @Test func clientHangingUpBetweenChunksCancelsTheUpstreamAtOnce() async throws {
        try await withGateway(mock: MockUpstream(sseChunks: 5, sseInterval: .seconds(3))) { client, gateway, _ in
            let hungUpAt = try await RawHTTPConnection.with(port: try #require(client.port)) { connection in
                try await connection.post("/v1/chat/completions", json: Self.streamedChat)
                #expect(try await connection.waitFor("tok0", within: .seconds(10)), "the first event never came")
                #expect(gateway.services.upstream.activeTransfers == 1)
                return ContinuousClock.now
            }
            while gateway.services.upstream.activeTransfers > 0, ContinuousClock.now - hungUpAt < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let cancelledAfter = ContinuousClock.now - hungUpAt
            #expect(cancelledAfter < .milliseconds(1500), "upstream transfer ended \(cancelledAfter) after the hang-up")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.error?.contains("client closed") == true)
        }
    }
}
