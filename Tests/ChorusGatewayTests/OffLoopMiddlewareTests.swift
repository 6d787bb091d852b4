import Testing

@testable import ChorusGateway

/// Only the light pass-through routes stay on the connection's event loop; everything else runs off it.
@Suite struct OffLoopMiddlewareTests {
    @Test(arguments: [
        ("/v1/chat/completions", true), ("/api/v1/chat/completions", true), ("/ollama/v1/chat/completions", true),
        ("/v1/completions", true), ("/v1/embeddings", true), ("/v1/rerank", true), ("/api/chat", true),
        ("/api/generate", true), ("/api/embed", true),
        ("/v1/audio/speech", false), ("/v1/audio/transcriptions", false), ("/v1/images/generations", false),
        ("/v1/images/edits", false), ("/api/playground/chat/completions", false), ("/admin/keys", false),
        ("/lollms/v1/long_context_process", false), ("/v1/chat/completions/extra", false), ("/v1/models", false),
        ("/ui/", false), ("/v1/realtime", false),
    ])
    func lightTextRoutesStayOnTheLoopAndTheRestRunOffIt(path: String, onLoop: Bool) {
        #expect(OffLoopMiddleware.staysOnLoop(path) == onLoop)
    }

    @Test func aLargeOrUnsizedBodyIsParsedOffTheLoopEvenOnATextRoute() {
        #expect(OffLoopMiddleware.staysOnLoop("/v1/chat/completions", contentLength: 2_000))
        #expect(!OffLoopMiddleware.staysOnLoop("/v1/chat/completions", contentLength: 4 << 20))
        #expect(!OffLoopMiddleware.staysOnLoop("/v1/chat/completions", contentLength: nil))
        #expect(!OffLoopMiddleware.staysOnLoop("/v1/audio/speech", contentLength: 100))
    }
}
