import HTTPTypes
import Hummingbird
import NIOCore

/// On `/api/playground/*` only: marks the request's trace, and appends `PlaygroundEvents` to every event-stream
/// answer just before it ends (after the upstream's own last event, `[DONE]` included), whichever route made it.
/// The routes themselves are the `/v1` routes, unchanged: only this middleware knows the playground exists.
struct PlaygroundMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let trace = context.trace else { return try await next(request, context) }
        trace.syntheticEvents = true
        var response = try await next(request, context)
        guard (200..<300).contains(Int(response.status.code)),
              response.headers[.contentType]?.lowercased().hasPrefix("text/event-stream") == true else { return response }
        let body = response.body
        // The answer grows by the two events: whatever length it announced is no longer its length.
        response.headers[.contentLength] = nil
        response.body = ResponseBody { writer in
            try await body.write(SyntheticEventsWriter(parent: writer, trace: trace))
        }
        return response
    }
}

/// Passes the body through and writes the `chorus.*` events when it finishes: the row's counts are complete by
/// then (each route records them before it finishes the body).
struct SyntheticEventsWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let trace: RequestTrace

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await parent.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        var parent = self.parent
        try await parent.write(PlaygroundEvents.frames(trace.snapshot()))
        try await parent.finish(trailingHeaders)
    }
}
