import ChorusUpstream
import HTTPTypes
import Hummingbird
import NIOCore

/// Writes an upstream response to the client as it arrives: same status, same bytes (SSE included, no
/// re-framing), each chunk written the moment it comes in. It counts bytes, notes the time to first byte,
/// picks up `usage`, and on a client hang-up cancels the upstream transfer.
struct UpstreamPassthrough: Sendable {
    let trace: RequestTrace
    /// Image routes: count the completed-image events of a streamed answer into the row's `images`.
    var countsImages = false

    /// Hop-by-hop headers and those the server sets itself.
    static let droppedHeaders: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
        "proxy-authorization", "content-length", "date", "server",
    ]

    /// Answers of at most this many bytes, with a Content-Length and not streamed, are read whole before the
    /// response starts, so the server writes head and body in one go (one write instead of three).
    static let wholeBodyLimit = 1 << 20

    /// `watchClientClose`: a streamed answer, cancelled as soon as the client on `connection` hangs up (between
    /// chunks too, not only when the next write fails). The connection stays open for its next request.
    func response(for upstream: UpstreamResponse, connection: ClientConnection?, watchClientClose: Bool) async throws(GatewayError) -> Response {
        var headers = HTTPFields()
        for (name, value) in upstream.headers where !Self.droppedHeaders.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        if let requestIDName = HTTPField.Name("x-request-id") { headers[requestIDName] = trace.requestID }
        let contentLength = upstream.header("content-length").flatMap(Int.init)
        let status = upstream.status
        let trace = self.trace
        let upstreamBody = upstream.body
        let countsImages = self.countsImages

        if !watchClientClose, let contentLength, contentLength <= Self.wholeBodyLimit {
            return try await Self.whole(upstreamBody, length: contentLength, status: status, headers: headers, trace: trace,
                                        scanner: UsageScanner(imageEvents: countsImages ? EventCounter.completedImages() : nil))
        }

        let body = ResponseBody(contentLength: contentLength) { writer in
            var scanner = UsageScanner(imageEvents: countsImages ? EventCounter.completedImages() : nil)
            do {
                if watchClientClose, let connection {
                    // A streaming client that hangs up closes its side; cancel the upstream transfer at once
                    // instead of waiting for the next chunk to fail to write.
                    try await connection.whileConnected(onClose: { upstreamBody.cancel() }) {
                        try await Self.pump(upstreamBody, into: &writer, scanner: &scanner, trace: trace)
                    }
                } else {
                    try await Self.pump(upstreamBody, into: &writer, scanner: &scanner, trace: trace)
                }
                // Counted before the body finishes: what finishing writes (the playground's usage event) reads it.
                Self.record(scanner, status: status, trace: trace)
                try await writer.finish(nil)
            } catch {
                upstreamBody.cancel()
                Self.record(scanner, status: status, trace: trace)
                if let upstreamError = error as? UpstreamError, upstreamError.kind != .cancelled {
                    // The client got the upstream's status and part of its body: the row says what it saw.
                    trace.finish(status: status, error: "upstream failed mid-response: \(upstreamError.message)")
                } else {
                    // A cancelled transfer here is the hang-up watcher's doing, any other error a write to a
                    // closed connection: the client left, and the row says so (nginx's 499), not the 200 it never
                    // finished reading.
                    trace.finish(status: 499, error: "client closed the connection mid-response (upstream status \(status))")
                }
                throw error
            }
            trace.finish(status: status)
        }
        return Response(status: .init(code: status), headers: headers, body: body)
    }

    /// Reads a small answer whole, then finishes the row (the bytes are ready to go, so that is the first byte
    /// too). An upstream that fails mid-body is a 502, as before the head was sent.
    private static func whole(
        _ body: UpstreamResponseBody, length: Int, status: Int, headers: HTTPFields, trace: RequestTrace,
        scanner: UsageScanner
    ) async throws(GatewayError) -> Response {
        var scanner = scanner
        let bytes: ByteBuffer
        do {
            bytes = try await body.collect(upTo: length)
        } catch {
            body.cancel()
            let provider = trace.provider ?? "upstream"
            if let upstreamError = error as? UpstreamError {
                throw GatewayError.upstreamFailed(provider: provider, "the answer could not be read: \(upstreamError.message)")
            }
            throw GatewayError.upstreamFailed(provider: provider, "the answer could not be read: \(error)")
        }
        scanner.feed(bytes)
        Self.record(scanner, status: status, trace: trace)
        trace.finishWhole(status: status)
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    private static func pump(
        _ body: UpstreamResponseBody, into writer: inout any ResponseBodyWriter, scanner: inout UsageScanner, trace: RequestTrace
    ) async throws {
        var first = true
        for try await chunk in body {
            try await writer.write(chunk)
            if first {
                trace.markFirstByte()
                first = false
            }
            scanner.feed(chunk)
        }
    }

    private static func record(_ scanner: UsageScanner, status: Int, trace: RequestTrace) {
        let tokens = scanner.tokens()
        let errorText: String? = status >= 400 ? scanner.errorSummary() : nil
        let images = scanner.imageEvents?.count ?? 0
        trace.update { record in
            if images > 0 { record.images = images }
            record.bytesOut = scanner.totalBytes
            if let tokens {
                record.promptTokens = tokens.prompt
                record.completionTokens = tokens.completion
                record.totalTokens = tokens.total
            }
            if let errorText, record.error == nil { record.error = "upstream \(status): \(errorText)" }
        }
    }
}
