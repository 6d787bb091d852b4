import ChorusEngines
import ChorusMedia
import ChorusUpstream
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A built gateway: the Hummingbird application plus the parts tests and the CLI reach into.
public struct Gateway: Sendable {
    public let application: Application<RouterResponder<GatewayRequestContext>>
    public let services: GatewayServices
    public let voices: VoiceServices
    /// The server's connection limits and counts (`server.max_connections`, the time limits, the shutdown grace).
    public let connections: ServerConnections
}

/// Builds the whole gateway from a config. `chorus serve` and the tests call this same function; `now` is the
/// clock model shutdown dates are compared with (tests pass their own).
public func buildGateway(
    config: GatewayConfig,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger? = nil,
    onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
    now: @escaping @Sendable () -> Date = { Date() }
) async throws -> Gateway {
    var logger = logger ?? Logger(label: "chorus")
    if logger.logLevel == .info, let level = Logger.Level(rawValue: environment["LOG_LEVEL"] ?? config.server.logLevel) {
        logger.logLevel = level
    }
    // FFmpeg's own messages (mostly about callers' media) go to swift-log with the rest.
    FFmpegLog.install(logger: Logger(label: "chorus.ffmpeg"))
    let store = try await openStorage(database: config.database, logger: logger)
    let upstream = try UpstreamClient(logger: Logger(label: "chorus.upstream"))
    let metrics = GatewayMetrics()
    let voices = try VoiceServices(config: config, store: store)
    let maxUploadBytes = config.server.maxUploadMB * 1024 * 1024
    let imageLimits = ImageLimits(maxPixels: config.server.maxImagePixels, maxBytes: maxUploadBytes)
    let providerEnvironment = ProviderEnvironment(
        upstream: upstream, metrics: metrics, presets: voices.presets,
        maxAnswerBytes: max(config.server.maxBodyMB * 1024 * 1024, 8 * imageLimits.maxBytes))
    let catalog = ModelCatalog(config: config, environment: providerEnvironment, now: now)
    let services = GatewayServices(
        config: config,
        catalog: catalog,
        store: store,
        authenticator: Authenticator(store: store, masterKey: Gateway.masterKey(config: config, environment: environment), cacheSeconds: config.server.keyCacheSeconds,
                                     groups: config.groups),
        rateLimiter: RateLimiter(),
        upstream: upstream,
        usageLog: UsageLog(store: store, logger: logger, metrics: metrics),
        metrics: metrics,
        logger: logger,
        failover: Failover(catalog: catalog, metrics: metrics, logger: logger, ledger: Ledger(store: store)))

    let mediaBlobs = try openBlobStore(.media, inDatabase: config.effectiveBlobStorage == .database,
                                       directory: URL(fileURLWithPath: config.mediaDirectory, isDirectory: true), storage: store)
    let media = MediaStore(store: store, blobs: mediaBlobs, ttlSeconds: config.server.mediaTTLSeconds)
    let images = ImageRoutes(services: services,
                             pipeline: ImagePipeline(services: services, media: media, inputs: ImageInputs(services: services, limits: imageLimits)))

    let connections = ServerConnections(config: config.server, metrics: metrics, logger: logger)
    let router = Router(context: GatewayRequestContext.self)
    // Middleware only wraps routes added after it: these come first, for every route.
    router.add(middleware: OffLoopMiddleware())
    router.add(middleware: TraceMiddleware(usageLog: services.usageLog, metrics: metrics, logger: logger, catalog: catalog))
    router.add(middleware: ErrorMiddleware(logger: logger))
    OperationalRoutes(services: services, metricsKey: config.server.metricsKey).register(on: router)
    PublicCatalogRoutes(catalog: catalog, voices: voices.presets.names).register(on: router)
    ConsoleRoutes(assets: ConsoleAssets(environment: environment)).register(on: router)
    let concurrency = ConcurrencyLimiter()
    let globalLimiter = RateLimiter()
    /// `errors`: the group's own error shape (another platform's API); nil = OpenAI's, with no middleware for it.
    func authenticated(_ prefix: String, global: Bool = true, errors: (any ErrorStyle)? = nil) -> RouterGroup<GatewayRequestContext> {
        var group = router.group(RouterPath(stringLiteral: prefix))
        if let errors { group = group.add(middleware: ErrorStyleMiddleware(style: errors)) }
        return group
            .add(middleware: AuthMiddleware(authenticator: services.authenticator))
            .add(middleware: RateLimitMiddleware(limiter: services.rateLimiter, defaultRPM: config.server.defaultRPM,
                                                 concurrency: concurrency,
                                                 global: global ? (globalLimiter, config.server.globalRPM) : nil,
                                                 share: ReplicaShare(replicas: config.server.replicas)))
    }
    AdminRoutes(services: services).register(on: authenticated("admin", global: false).add(middleware: MasterKeyMiddleware()))
    // Routes whose work runs on Chorus's own cores (engines, FFmpeg): it stops when the client leaves.
    func stoppingWhenClientLeaves(_ group: RouterGroup<GatewayRequestContext>) -> RouterGroup<GatewayRequestContext> {
        group.group().add(middleware: HangUpMiddleware())
    }
    /// The OpenAI surface's route set: /v1, /api/v1 and the playground mount the same one.
    func registerOpenAIRoutes(on group: RouterGroup<GatewayRequestContext>) {
        TextRoutes(services: services, chatImages: ChatImageDispatch(routes: images)).register(on: group)
        ModelRoutes(services: services).register(on: group)
        SpeechRoutes(services: services, voices: voices).register(on: stoppingWhenClientLeaves(group))
        VoiceRoutes(services: services, voices: voices).register(on: group)
        TranscriptionRoutes(services: services).register(on: stoppingWhenClientLeaves(group))
        images.register(on: group)
    }
    for prefix in ["v1", "api/v1"] {
        images.registerMedia(on: router.group(RouterPath(stringLiteral: prefix)))
        let group = authenticated(prefix)
        registerOpenAIRoutes(on: group)
        RealtimeRoutes.registerPlain(on: group)
    }
    // /v1/realtime's upgrade requests: their own router, with the same trace, errors, key and limits (the same
    // limiter instances: an open session holds one of its key's `max_concurrency` places until it ends).
    let realtimeRouter = Router(context: GatewayRequestContext.self)
    realtimeRouter.add(middleware: OffLoopMiddleware())
    realtimeRouter.add(middleware: TraceMiddleware(usageLog: services.usageLog, metrics: metrics, logger: logger, catalog: catalog))
    realtimeRouter.add(middleware: ErrorMiddleware(logger: logger))
    for prefix in ["v1", "api/v1"] {
        let group = realtimeRouter.group(RouterPath(stringLiteral: prefix))
            .add(middleware: AuthMiddleware(authenticator: services.authenticator))
            .add(middleware: RateLimitMiddleware(limiter: services.rateLimiter, defaultRPM: config.server.defaultRPM,
                                                 concurrency: concurrency, global: (globalLimiter, config.server.globalRPM),
                                                 share: ReplicaShare(replicas: config.server.replicas)))
        RealtimeRoutes(services: services).register(on: group)
    }
    let realtime = RealtimeEndpoint(
        responder: realtimeRouter.buildResponder(),
        settings: .init(clientWriteTimeout: .milliseconds(Int64(config.server.realtimeClientWriteTimeoutSeconds * 1000))))
    // Ollama's OpenAI-compatible surface is /v1's; its native API answers in Ollama's shapes (errors included).
    let ollama = authenticated("ollama/v1")
    TextRoutes(services: services, chatImages: ChatImageDispatch(routes: images)).register(on: ollama)
    ModelRoutes(services: services).register(on: ollama)
    OllamaRoutes(services: services).register(on: authenticated("api", errors: OllamaErrorStyle()))
    // The LoopGpt-style chat API: its own paths beside /api/v1/chat/completions (which keeps OpenAI's errors).
    LoopGptRoutes(services: services).register(on: authenticated("api/v1/chat", errors: LoopGptErrorStyle()))
    let lollms = authenticated("lollms/v1")
    images.registerLoLLMs(on: lollms)
    SpeechRoutes(services: services, voices: voices).register(on: stoppingWhenClientLeaves(lollms))
    VoiceRoutes(services: services, voices: voices).registerLoLLMs(on: lollms)
    TokenizeRoutes(services: services).register(on: lollms)
    RAGRoutes(services: services).register(on: lollms)
    // Its model calls cost points: they stop when the client leaves.
    LongContextRoutes(services: services).register(on: stoppingWhenClientLeaves(lollms))
    // The playground: the /v1 routes again, for the console and other UIs, whose event streams end with Chorus's
    // own `chorus.timing` and `chorus.usage` events (PlaygroundMiddleware; nowhere else).
    let playground = authenticated("api/playground").add(middleware: PlaygroundMiddleware())
    registerOpenAIRoutes(on: playground)
    PlaygroundRoutes(services: services).register(on: playground)

    var background: [any Service] = [services.usageLog, media, ShutdownService { await upstream.shutdown(); await catalog.shutdown() }]
    if config.server.logRetentionDays > 0 { background.append(UsageRetention(store: store, days: config.server.logRetentionDays, logger: logger)) }
    let application = Application(
        responder: router.buildResponder(),
        server: .gateway(connections: connections, webSocket: realtime),
        configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "chorus"),
        services: background,
        // Called once the socket is bound: startup lines said before it would claim a server a busy port never ran.
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? config.server.port) },
        logger: logger)
    return Gateway(application: application, services: services, voices: voices, connections: connections)
}

/// Releases what outlives requests when the ServiceGroup shuts down: the upstream client aborts open transfers
/// and joins its event thread; the providers stop their engines.
struct ShutdownService: Service {
    let onShutdown: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await onShutdown()
    }
}

extension Gateway {
    /// `CHORUS_MASTER_KEY` from the environment, else `server.master_key`; nil when neither is set (or empty).
    public static func masterKey(config: GatewayConfig, environment: [String: String]) -> String? {
        if let key = environment["CHORUS_MASTER_KEY"], !key.isEmpty { return key }
        return config.server.masterKey
    }
}
