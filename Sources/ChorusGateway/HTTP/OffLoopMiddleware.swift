import Hummingbird

/// Where a request's work runs. Each connection's tasks prefer the connection's event loop
/// (`GatewayHTTPChannel.handle`), so the light pass-through routes — the text proxy routes, which parse a small JSON
/// body (with a Content-Length of at most `onLoopBodyLimit`) and stream the upstream's bytes — read, call curl and
/// write back on one thread, with no hand-off. Every other
/// route (media decoding and encoding, images, uploads, the engines, admin, the platform APIs) runs its handler and
/// its response body on the global executor instead, as before: a handler that does seconds of CPU work there
/// cannot stall the sockets and timers of the other connections on that loop.
///
/// Added first on the router, so the trace, auth and limits middleware run where the route's work will run.
struct OffLoopMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    /// The route paths (after their mount prefix) that stay on the event loop.
    static let onLoopSuffixes = ["/chat/completions", "/completions", "/embeddings", "/rerank"]
    /// The mounts of the OpenAI text routes (the playground's are left off: they rewrite the stream).
    static let onLoopPrefixes = ["/v1/", "/api/v1/", "/ollama/v1/"]
    /// Ollama's native text routes.
    static let onLoopPaths: Set<String> = ["/api/chat", "/api/generate", "/api/embed", "/api/embeddings"]

    /// A body larger than this is parsed off the loop even on those routes: a multi-megabyte JSON parse (images
    /// inlined as base64) is CPU work that would hold up the loop's other connections.
    static let onLoopBodyLimit = 256 * 1024

    static func staysOnLoop(_ path: String, contentLength: Int?) -> Bool {
        guard let contentLength, contentLength <= onLoopBodyLimit else { return false }
        return staysOnLoop(path)
    }

    static func staysOnLoop(_ path: String) -> Bool {
        if onLoopPaths.contains(path) { return true }
        guard let prefix = onLoopPrefixes.first(where: { path.hasPrefix($0) }) else { return false }
        let rest = path.dropFirst(prefix.count - 1)
        return onLoopSuffixes.contains { rest == $0 }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        if Self.staysOnLoop(request.uri.path, contentLength: contentLength) {
            return try await next(request, context)
        }
        var response = try await withTaskExecutorPreference(globalConcurrentExecutor) {
            try await next(request, context)
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let writer = UnsafeTransfer(writer)
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await body.write(writer.value) }
        }
        return response
    }
}
