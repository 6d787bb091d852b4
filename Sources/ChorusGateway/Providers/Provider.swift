import ChorusEngines
import ChorusUpstream

/// A configured provider, built once at start-up (`ProviderType.makeProvider`). What it can do are its facets:
/// `text`, `speech`, `transcription`, `images` and `tokenizer` are non-nil when the provider offers that capability, so a route
/// asks for the facet it needs instead of looking at the provider's type.
protocol Provider: Sendable {
    var config: ProviderConfig { get }
    var text: (any TextProvider)? { get }
    var speech: (any SpeechProvider)? { get }
    var transcription: (any TranscriptionProvider)? { get }
    var images: (any ImageProvider)? { get }
    var tokenizer: (any TokenizerProvider)? { get }
    /// Realtime sessions (`/v1/realtime`, `speech_via`/`transcription_via: realtime`).
    var realtime: (any RealtimeProvider)? { get }
    /// What a model on this provider may be called for when the model's config does not say.
    func defaultCapabilities(upstreamModel: String) -> Set<Capability>
    /// Stops what the provider started (engine threads); called once when the gateway shuts down.
    func shutdown() async
}

extension Provider {
    var name: String { config.name }
    var text: (any TextProvider)? { nil }
    var speech: (any SpeechProvider)? { nil }
    var transcription: (any TranscriptionProvider)? { nil }
    var images: (any ImageProvider)? { nil }
    var tokenizer: (any TokenizerProvider)? { nil }
    var realtime: (any RealtimeProvider)? { nil }
    func shutdown() async {}

    /// 501 naming the provider: the model was resolved but its provider lacks the facet.
    func missing(_ capability: Capability) -> GatewayError {
        .notImplemented("Provider '\(name)' (\(config.type.rawValue)) does not offer \(capability).", param: "model")
    }
}

/// What every provider is built with.
public struct ProviderEnvironment: Sendable {
    public let upstream: UpstreamClient
    let metrics: GatewayMetrics
    /// OpenAI voice names → engine voices, for the embedded speech engine.
    let presets: VoicePresets
    /// Upper bound for a provider's whole JSON answer (images as base64, a verbose transcript).
    let maxAnswerBytes: Int
    /// Times for transcripts a provider answered as text only.
    let aligner = LocalAligner()

    public init(upstream: UpstreamClient, metrics: GatewayMetrics, presets: VoicePresets = .builtIn, maxAnswerBytes: Int = 64 << 20) {
        self.upstream = upstream
        self.metrics = metrics
        self.presets = presets
        self.maxAnswerBytes = maxAnswerBytes
    }
}

extension ProviderType {
    /// The one place a provider type becomes an implementation: a new type is a new case here and a new file.
    func makeProvider(_ config: ProviderConfig, environment: ProviderEnvironment) -> any Provider {
        switch self {
        case .openai: OpenAICompatibleProvider(config: config, environment: environment)
        case .sdwebui: SDWebUIProvider(config: config, environment: environment)
        case .builtin: BuiltinProvider(config: config, environment: environment)
        }
    }
}
