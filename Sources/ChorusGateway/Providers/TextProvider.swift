import ChorusUpstream
import ChorusWire
import NIOCore

/// The pass-through text routes: the caller's JSON goes to the provider (adapted) and its answer comes back as it is.
enum TextRoute: String, Sendable, CaseIterable {
    case chat = "/chat/completions"
    case completions = "/completions"
    case embeddings = "/embeddings"
    /// Cohere/Jina-shaped rerank, as vLLM, Infinity and LocalAI serve it.
    case rerank = "/rerank"

    var capability: Capability {
        switch self {
        case .chat: .chat
        case .completions: .completions
        case .embeddings: .embeddings
        case .rerank: .rerank
        }
    }
}

/// One text call: the caller's body (bytes and parsed) for `route`.
struct TextCall: Sendable {
    var route: TextRoute
    var body: ByteBuffer
    var json: JSONValue
    var stream: Bool
}

/// Chat completions, completions and embeddings.
protocol TextProvider: Sendable {
    /// The provider's answer, whatever its status: the route passes it through unchanged.
    func send(_ call: TextCall, model: ModelConfig) async throws(GatewayError) -> UpstreamResponse
}

extension ProviderConfig {
    /// The path under `base_url` a pass-through text route is sent to.
    func path(for route: TextRoute) -> String { route == .rerank ? rerankPath : route.rawValue }
}
