import ChorusUpstream
import ChorusWire
import Hummingbird
import NIOCore

/// An upstream chat stream (SSE) answered as Ollama's NDJSON: the lines of each upstream chunk are written as the
/// chunk arrives, then one `done: true` line with the counts and durations. A provider failing mid-stream ends the
/// answer with an `{"error": "…"}` line (what the `ollama` clients raise); a client hang-up aborts the upstream
/// transfer at once. The usage row is finished once, with the stream's tokens.
struct OllamaStream: Sendable {
    static let contentType = "application/x-ndjson"

    let reply: OllamaReply
    let trace: RequestTrace
    let stats: OllamaReply.Stats

    /// What one answer has seen so far.
    private struct Run {
        var reader = SSEEventReader()
        var translator = OllamaChunkTranslator()
        var stats: OllamaReply.Stats
        var bytesOut = 0
        var failure: String?
    }

    func response(for upstream: UpstreamResponse, connection: ClientConnection?) -> Response {
        let upstreamBody = upstream.body
        let reply = reply
        let trace = trace
        let stats = stats
        let body = ResponseBody { writer in
            var run = Run(stats: stats)
            do {
                if let connection {
                    try await connection.whileConnected(onClose: { upstreamBody.cancel() }) {
                        try await Self.pump(upstreamBody, into: &writer, run: &run, reply: reply, trace: trace)
                    }
                } else {
                    try await Self.pump(upstreamBody, into: &writer, run: &run, reply: reply, trace: trace)
                }
            } catch let error as UpstreamError where error.kind != .cancelled {
                run.failure = GatewayError(upstream: error, provider: trace.provider ?? "upstream").publicMessage(requestID: trace.requestID)
            } catch is SSEEventReader.EventTooLarge {
                upstreamBody.cancel()
                run.failure = "The provider sent an event larger than \(SSEEventReader.maxEventBytes) bytes."
            } catch {
                // A cancelled transfer is the hang-up watcher's doing, any other error a write to a closed
                // connection: the client left, and the row says so (nginx's 499).
                upstreamBody.cancel()
                Self.record(run, trace: trace)
                trace.finish(status: 499, error: "client closed the connection mid-response")
                throw error
            }
            var last: JSONValue
            if let failure = run.failure {
                last = ["error": .string(failure)]
            } else {
                run.stats.finished = .now
                run.stats.doneReason = OllamaReply.doneReason(run.translator.finishReason)
                run.stats.promptTokens = run.translator.promptTokens
                run.stats.completionTokens = run.translator.completionTokens
                var piece = OllamaReply.Piece()
                piece.toolCalls = run.translator.takeCalls()
                last = reply.final(piece, stats: run.stats)
            }
            var line = ByteBuffer()
            Self.write(last, into: &line)
            run.bytesOut += line.readableBytes
            Self.record(run, trace: trace)
            do {
                try await writer.write(line)
                try await writer.finish(nil)
            } catch {
                trace.finish(status: 499, error: "client closed the connection before the last line")
                throw error
            }
            trace.finish(status: 200, error: run.failure.map { "upstream failed mid-response: \($0)" })
        }
        return Response(status: .ok, headers: [.contentType: Self.contentType], body: body)
    }

    private static func pump(
        _ body: UpstreamResponseBody, into writer: inout any ResponseBodyWriter, run: inout Run, reply: OllamaReply, trace: RequestTrace
    ) async throws {
        for try await chunk in body {
            var lines = ByteBuffer()
            for event in try run.reader.feed(chunk) where run.failure == nil {
                translate(event, into: &lines, run: &run, reply: reply)
            }
            if lines.readableBytes > 0 {
                try await writer.write(lines)
                run.bytesOut += lines.readableBytes
                trace.markFirstByte()
            }
            if run.failure != nil {
                body.cancel()
                return
            }
        }
        var lines = ByteBuffer()
        if let event = run.reader.finish() { translate(event, into: &lines, run: &run, reply: reply) }
        if lines.readableBytes > 0 {
            try await writer.write(lines)
            run.bytesOut += lines.readableBytes
            trace.markFirstByte()
        }
    }

    private static func translate(_ event: String, into lines: inout ByteBuffer, run: inout Run, reply: OllamaReply) {
        switch run.translator.consume(event) {
        case .piece(let piece)?:
            if run.stats.firstPiece == nil { run.stats.firstPiece = .now }
            write(reply.line(piece), into: &lines)
        case .failed(let message)?:
            run.failure = "The provider failed mid-stream: \(message)"
        case nil:
            break
        }
    }

    static func write(_ line: JSONValue, into buffer: inout ByteBuffer) {
        buffer.writeBytes(line.serialized())
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private static func record(_ run: Run, trace: RequestTrace) {
        let translator = run.translator
        trace.update { record in
            record.bytesOut = run.bytesOut
            if let prompt = translator.promptTokens { record.promptTokens = prompt }
            if let completion = translator.completionTokens { record.completionTokens = completion }
            if let total = translator.totalTokens ?? translator.promptTokens.map({ $0 + (translator.completionTokens ?? 0) }) {
                record.totalTokens = total
            }
        }
    }
}
