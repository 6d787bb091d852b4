import Foundation
import HTTPTypes

/// A `model` name resolved to where it runs: its config and its provider, built once at start-up.
/// A class: a request passes its model through failover, providers and the row several times, and copying the
/// whole model config each time was a dozen copies (and their retains) per proxied request.
public final class ResolvedModel: Sendable {
    public let config: ModelConfig
    let provider: any Provider
    /// `Deprecation` and `Sunset` for a model with a lifecycle (none otherwise): every answer for it carries them.
    let lifecycleHeaders: HTTPFields
    /// The public catalog's id: the model's place in the config, from 1 (stable while the config's order is).
    public let catalogID: Int

    init(config: ModelConfig, provider: any Provider, lifecycleHeaders: HTTPFields, catalogID: Int) {
        self.config = config
        self.provider = provider
        self.lifecycleHeaders = lifecycleHeaders
        self.catalogID = catalogID
    }

    /// The catalog's slug: the configured one, else the name.
    public var slug: String { config.slug ?? config.name }

    public var name: String { config.name }
    public var upstreamModel: String { config.model }
    public var providerName: String { provider.name }
    public var providerType: ProviderType { provider.config.type }

    public func supports(_ capability: Capability) -> Bool { capabilities.contains(capability) }

    /// Declared in the config, else what the provider offers for the upstream model.
    public var capabilities: Set<Capability> {
        config.capabilities ?? provider.defaultCapabilities(upstreamModel: config.model)
    }
}

/// Public model names → (provider, upstream model, defaults). Several names may point at one upstream model.
public struct ModelCatalog: Sendable {
    private let byName: [String: ResolvedModel]
    private let bySlug: [String: ResolvedModel]
    public let all: [ResolvedModel]
    /// Every configured provider, models or not, in config order.
    let providers: [any Provider]
    /// The time shutdown dates are compared with; tests move it instead of waiting for a date.
    let now: @Sendable () -> Date

    init(config: GatewayConfig, providers: [any Provider], now: @escaping @Sendable () -> Date = { Date() }) {
        self.providers = providers
        self.now = now
        let byProvider = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var resolved: [ResolvedModel] = []
        for (index, model) in config.models.enumerated() {
            guard let provider = byProvider[model.provider] else { continue }
            resolved.append(ResolvedModel(config: model, provider: provider, lifecycleHeaders: Self.lifecycleHeaders(model),
                                          catalogID: index + 1))
        }
        all = resolved
        byName = Dictionary(resolved.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        bySlug = Dictionary(resolved.map { ($0.slug, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Builds every configured provider (`ProviderType.makeProvider`) and the catalog over them.
    public init(config: GatewayConfig, environment: ProviderEnvironment, now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(config: config, providers: config.providers.map { $0.type.makeProvider($0, environment: environment) }, now: now)
    }

    /// Longer `model` names are refused before anything looks them up or records them.
    public static let maxNameBytes = 256

    public func resolve(_ name: String) -> ResolvedModel? { byName[name] }

    /// A model as the catalog-facing APIs name it: its catalog id (`7`), its slug, or its name.
    public func lookup(_ idOrSlug: String) -> ResolvedModel? {
        if let id = Int(idOrSlug), id >= 1, let model = all.first(where: { $0.catalogID == id }) { return model }
        return bySlug[idOrSlug] ?? byName[idOrSlug]
    }

    /// Resolves and checks what the caller may use and what the model can do; errors are the documented statuses.
    /// The model's lifecycle applies here, the one place every route meets a model: its `Deprecation`/`Sunset` go
    /// on the trace's answer headers, and past its shutdown date the call is remapped or refused (`serving`).
    func resolve(_ name: String, for caller: Caller, capability: Capability, trace: RequestTrace) throws(GatewayError) -> ResolvedModel {
        guard name.utf8.count <= Self.maxNameBytes else {
            throw .invalidParameter("model", "'model' is \(name.utf8.count) bytes long; model names are at most \(Self.maxNameBytes).")
        }
        guard let model = byName[name] else {
            throw .modelNotFound(name, suggestions: suggestions(for: caller, capability: capability))
        }
        guard caller.allows(model: name) else { throw .modelNotAllowed(name) }
        if !model.lifecycleHeaders.isEmpty { trace.responseHeaders.append(contentsOf: model.lifecycleHeaders) }
        guard model.supports(capability) else { throw .wrongCapability(name, wanted: capability.description) }
        return try serving(model, caller: caller, capability: capability, trace: trace)
    }

    /// A few models the caller may use for `capability`, for a 404's message: enough to correct a typo or learn
    /// what the embedded default serves, never a whole catalog.
    func suggestions(for caller: Caller, capability: Capability, limit: Int = 5) -> (names: [String], more: Int) {
        let usable = all.filter { caller.allows(model: $0.name) && $0.supports(capability) }.map(\.name)
        return (Array(usable.prefix(limit)), max(0, usable.count - limit))
    }

    /// The model's fallbacks, in order, that this caller may use for this capability.
    func fallbacks(of model: ResolvedModel, caller: Caller, capability: Capability) -> [ResolvedModel] {
        model.config.fallbacks.compactMap { name in
            guard let fallback = byName[name], caller.allows(model: name), fallback.supports(capability) else { return nil }
            return fallback
        }
    }

    /// Stops every provider's engines (ServiceGroup shutdown).
    func shutdown() async {
        for provider in providers { await provider.shutdown() }
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
        case .rerank: "rerank"
        case .tokenize: "tokenize"
        case .images: "image generations"
        case .imageEdits: "image edits and variations"
        case .realtime: "realtime sessions"
        }
    }
}
