import ChorusMedia
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import ChorusUpstream
import NIOCore

/// Sends encoded audio chunks to the client as they are produced: raw (`stream_format: audio`, Content-Type of
/// the format) or as SSE `speech.audio.delta` events closed by `speech.audio.done` with usage.
struct AudioResponse: Sendable {
    let trace: RequestTrace
    let format: AudioFormat
    let streamFormat: SpeechParameters.StreamFormat
    let characters: Int

    /// Waits for the first encoded chunk before answering, so a provider, engine or codec that fails at the
    /// start gives an OpenAI-shaped error status instead of a 200 with an empty body. It costs nothing: the first
    /// byte cannot be sent before it exists.
    func response(_ audio: AsyncThrowingStream<[UInt8], any Error>, secondsProduced: @escaping @Sendable () -> Double) async throws -> Response {
        var iterator = audio.makeAsyncIterator()
        var first: [UInt8]?
        do {
            repeat { first = try await iterator.next() } while first?.isEmpty == true
        } catch let error as GatewayError {
            throw error
        } catch let error as UpstreamError {
            throw GatewayError.upstreamFailed(provider: trace.provider ?? "unknown", error.message)
        } catch {
            throw GatewayError.internalError("Speech synthesis failed: \(error)")
        }
        let rest = UnsafeTransfer(iterator)
        return response(first: first, rest: rest, secondsProduced: secondsProduced)
    }

    private func response(first: [UInt8]?, rest: UnsafeTransfer<AsyncThrowingStream<[UInt8], any Error>.Iterator>, secondsProduced: @escaping @Sendable () -> Double) -> Response {
        var headers: HTTPFields = [.contentType: streamFormat == .sse ? "text/event-stream" : format.contentType]
        if streamFormat == .sse { headers[.cacheControl] = "no-cache" }
        let trace = self.trace
        let sse = streamFormat == .sse
        let characters = self.characters
        let body = ResponseBody { writer in
            var bytesOut = 0
            var iterator = rest.value
            var next = first
            do {
                while let chunk = next {
                    if !chunk.isEmpty {
                        let buffer = sse ? Self.deltaEvent(chunk) : ByteBuffer(bytes: chunk)
                        bytesOut += buffer.readableBytes
                        try await writer.write(buffer)
                        trace.markFirstByte()
                    }
                    next = try await iterator.next()
                }
                let seconds = secondsProduced()
                if sse {
                    let done = Self.doneEvent(characters: characters, seconds: seconds)
                    bytesOut += done.readableBytes
                    try await writer.write(done)
                }
                trace.update { $0.bytesOut = bytesOut; $0.audioSeconds = seconds }
                try await writer.finish(nil)
                trace.finish(status: 200)
            } catch {
                trace.update { $0.bytesOut = bytesOut; $0.audioSeconds = secondsProduced() }
                trace.finish(status: 200, error: "speech stream aborted: \(error)")
                throw error
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func deltaEvent(_ chunk: [UInt8]) -> ByteBuffer {
        let event: JSONValue = ["type": "speech.audio.delta", "audio": .string(Data(chunk).base64EncodedString())]
        return SSE.frame(event)
    }

    /// OpenAI reports tokens; local engines have none, so Chorus estimates input tokens as characters / 4 and
    /// adds what it actually measured (characters, seconds of audio).
    static func doneEvent(characters: Int, seconds: Double) -> ByteBuffer {
        let inputTokens = (characters + 3) / 4
        let usage: JSONValue = [
            "input_tokens": .number(inputTokens), "output_tokens": 0, "total_tokens": .number(inputTokens),
            "input_characters": .number(characters), "audio_seconds": .number((seconds * 1000).rounded() / 1000),
        ]
        return SSE.frame(["type": "speech.audio.done", "usage": usage])
    }
}
