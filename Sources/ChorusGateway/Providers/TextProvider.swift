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

/// One text call: the caller's body for `route` — its bytes, the model it names, and the body parsed when it was
/// (a pass-through chat request is not: `json()` parses it only for a provider that rewrites it).
struct TextCall: Sendable {
    var route: TextRoute
    var body: ByteBuffer
    /// The `model` the body's bytes name.
    var model: String?
    var stream: Bool
    private var parsed: JSONValue?

    /// `parsed`: the body as JSON when it was parsed already (nil: parsed only if a provider needs it).
    init(route: TextRoute, body: ByteBuffer, model: String?, stream: Bool, parsed: JSONValue?) {
        self.route = route
        self.body = body
        self.model = model
        self.stream = stream
        self.parsed = parsed
    }

    /// A call the gateway makes itself, from a body it built.
    init(route: TextRoute, json: JSONValue, stream: Bool) {
        self.route = route
        body = ByteBuffer(bytes: json.serialized())
        model = json["model"]?.stringValue
        self.stream = stream
        parsed = json
    }

    /// The body as JSON, parsed now if it was not yet.
    func json() throws(GatewayError) -> JSONValue {
        if let parsed { return parsed }
        return try JSONValue.object(from: body)
    }
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
