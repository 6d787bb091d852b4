import ChorusUpstream
import NIOCore

/// Any OpenAI-compatible server (OpenAI, vLLM, LocalAI, Kokoro-FastAPI, speaches…): text passes through, speech,
/// transcription and images are adapted to what the provider's config says it can do (formats, cloning, inputs).
struct OpenAICompatibleProvider: HTTPProvider, TextProvider {
    let transport: ProviderTransport

    var text: (any TextProvider)? { self }
    var speech: (any SpeechProvider)? { self }
    var transcription: (any TranscriptionProvider)? { self }
    var images: (any ImageProvider)? { self }
    var tokenizer: (any TokenizerProvider)? { self }
    var realtime: (any RealtimeProvider)? { self }

    /// Everything but realtime, which a model's config opts into (`capabilities: [realtime]`): an OpenAI-compatible
    /// server that answers chat rarely also speaks the realtime WebSocket protocol.
    func defaultCapabilities(upstreamModel: String) -> Set<Capability> { Set(Capability.allCases).subtracting([.realtime]) }

    func send(_ call: TextCall, model: ModelConfig) async throws(GatewayError) -> UpstreamResponse {
        let body = try transport.body(for: call, model: model)
        return try await transport.execute(transport.jsonRequest(path: config.path(for: call.route), body: body, stream: call.stream))
    }
}
