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
    public let speech: SpeechServices
}

/// Builds the whole gateway from a config. `chorus serve` and the tests call this same function.
public func buildGateway(
    config: GatewayConfig,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger? = nil
) throws -> Gateway {
    var logger = logger ?? Logger(label: "chorus")
    if logger.logLevel == .info, let level = Logger.Level(rawValue: environment["LOG_LEVEL"] ?? config.server.logLevel) {
        logger.logLevel = level
    }
    // FFmpeg's own messages (mostly about callers' media) go to swift-log with the rest.
    FFmpegLog.install(logger: Logger(label: "chorus.ffmpeg"))
    let store = try openStorage(database: config.database)
    let upstream = try UpstreamClient(logger: Logger(label: "chorus.upstream"))
    let metrics = GatewayMetrics()
    let services = GatewayServices(
        config: config,
        catalog: ModelCatalog(config: config),
        store: store,
        authenticator: Authenticator(store: store, masterKey: environment["CHORUS_MASTER_KEY"], cacheSeconds: config.server.keyCacheSeconds),
        rateLimiter: RateLimiter(),
        upstream: upstream,
        usageLog: UsageLog(store: store, logger: logger, metrics: metrics),
        metrics: metrics,
        logger: logger)

    let speech = try SpeechServices(config: config, store: store, logger: logger)
    let transcription = TranscriptionServices()
    let media = try MediaStore(store: store, directory: config.mediaDirectory, ttlSeconds: config.server.mediaTTLSeconds)
    let imageLimits = ImageLimits(maxPixels: config.server.maxImagePixels, maxBytes: services.maxUploadBytes)
    let images = ImageRoutes(services: services,
                             pipeline: ImagePipeline(services: services, media: media, inputs: ImageInputs(services: services, limits: imageLimits)))

    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: ErrorShapeMiddleware())
    OperationalRoutes(services: services).register(on: router)
    AdminRoutes(services: services).register(on: router)
    for prefix in ["v1", "api/v1"] {
        let group = router.group(RouterPath(stringLiteral: prefix))
        TextRoutes(services: services, chatImages: ChatImageDispatch(routes: images)).register(on: group)
        ModelRoutes(services: services).register(on: group)
        SpeechRoutes(services: services, speech: speech).register(on: group)
        VoiceRoutes(services: services, speech: speech).register(on: group)
        TranscriptionRoutes(services: services, engines: transcription).register(on: group)
        images.register(on: group)
    }
    images.registerLoLLMs(on: router)
    SpeechRoutes(services: services, speech: speech).registerLoLLMs(on: router)
    VoiceRoutes(services: services, speech: speech).registerLoLLMs(on: router)

    let application = Application(
        responder: router.buildResponder(),
        configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "chorus"),
        services: [services.usageLog, media, ShutdownService { await upstream.shutdown(); speech.shutdown(); transcription.shutdown() }],
        logger: logger)
    return Gateway(application: application, services: services, speech: speech)
}

/// Releases what outlives requests when the ServiceGroup shuts down: the upstream client aborts open transfers
/// and joins its event thread; the embedded engines stop their threads.
struct ShutdownService: Service {
    let onShutdown: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await onShutdown()
    }
}
