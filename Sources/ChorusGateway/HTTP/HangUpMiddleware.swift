import HTTPTypes
import Hummingbird
import NIOCore

/// On routes whose work runs on Chorus's own cores (the embedded engines, FFmpeg decoding and encoding): when
/// the client leaves, that work stops and the usage row says 499.
///
/// Hummingbird does not cancel a handler when its client goes away, so a long transcription would otherwise run
/// to the end for nobody. Here the handler runs in a child task that is cancelled the moment the connection's
/// `ConnectionGuard` sees the client leave; cancellation then reaches the work (a flag the FFmpeg loops and
/// the engines' threads poll between chunks). A streamed answer's body is watched the same way while it is
/// written. The row is marked first, so whatever status the unwinding work reports, it is written as 499. While
/// the request body is still being read nothing is cancelled: the body reader fails by itself when the body stops
/// (and counts the bytes that came), and `RequestTrace.requestRead()` refuses to go on when the client sent
/// everything and left.
struct HangUpMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let trace = context.trace, let connection = context.connection else {
            return try await next(request, context)
        }
        let onLeave: @Sendable () -> Bool = { trace.clientLeft() }
        var response = try await withoutActuallyEscaping(next) { next in
            // The child task is the only caller of `next`, and this task waits for it.
            let next = UnsafeTransfer(next)
            return try await connection.cancellingIfClientLeaves(onLeave: onLeave) { try await next.value(request, context) }
        }
        // An answer built whole has settled its row; a streamed one runs its work while the body is written.
        guard !trace.isFinished else { return response }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let writer = UnsafeTransfer(CompletingWriter(base: writer, trace: trace))
            try await connection.cancellingIfClientLeaves(onLeave: onLeave) { try await body.write(writer.value) }
        }
        return response
    }
}

/// The server's body writer, telling the trace when the body's last bytes go out: a client that closes as soon as
/// it has read them (curl, any one-shot client) has not left early, so neither its row nor the finishing body are
/// touched by its close.
private struct CompletingWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let trace: RequestTrace

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await base.write(buffer)
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        try await base.write(contentsOf: buffers)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        trace.answerComplete()
        try await base.finish(trailingHeaders)
    }
}
