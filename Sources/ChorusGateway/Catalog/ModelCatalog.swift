/// A `model` name resolved to where it runs.
public struct ResolvedModel: Sendable {
    public let config: ModelConfig
    public let provider: ProviderConfig

    public var name: String { config.name }
    public var upstreamModel: String { config.model }

    public func supports(_ capability: Capability) -> Bool {
        if let declared = config.capabilities { return declared.contains(capability) }
        return ModelCatalog.defaultCapabilities(provider: provider, upstreamModel: config.model).contains(capability)
    }
}

/// Public model names → (provider, upstream model, defaults). Several names may point at one upstream model.
public struct ModelCatalog: Sendable {
    private let byName: [String: ResolvedModel]
    public let all: [ResolvedModel]

    public init(config: GatewayConfig) {
        var resolved: [ResolvedModel] = []
        for model in config.models {
            guard let provider = config.provider(named: model.provider) else { continue }
            resolved.append(ResolvedModel(config: model, provider: provider))
        }
        all = resolved
        byName = Dictionary(resolved.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func resolve(_ name: String) -> ResolvedModel? { byName[name] }

    /// Resolves and checks what the caller may use and what the model can do; errors are the documented statuses.
    public func resolve(_ name: String, for caller: Caller, capability: Capability) throws(GatewayError) -> ResolvedModel {
        guard let model = byName[name] else { throw .modelNotFound(name) }
        guard caller.allows(model: name) else { throw .modelNotAllowed(name) }
        guard model.supports(capability) else { throw .wrongCapability(name, wanted: capability.description) }
        return model
    }

    static func defaultCapabilities(provider: ProviderConfig, upstreamModel: String) -> Set<Capability> {
        switch provider.type {
        case .openai: Set(Capability.allCases)
        case .sdwebui: [.images]
        case .builtin:
            switch upstreamModel {
            case "espeak", "espeak-ng": [.speech]
            case "pocketsphinx": [.transcription, .translation]
            default: []
            }
        }
    }
}

extension Capability: CustomStringConvertible {
    public var description: String {
        switch self {
        case .chat: "chat completions"
        case .completions: "completions"
        case .embeddings: "embeddings"
        case .speech: "speech"
        case .transcription: "transcriptions"
        case .translation: "translations"
        case .images: "images"
        }
    }
}
