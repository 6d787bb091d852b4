import ChorusUpstream
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A built gateway: the Hummingbird application plus the parts tests and the CLI reach into.
public struct Gateway: Sendable {
    public let application: Application<RouterResponder<GatewayRequestContext>>
    public let services: GatewayServices
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
    let store = try Store(path: config.database)
    let upstream = try UpstreamClient(logger: Logger(label: "chorus.upstream"))
    let services = GatewayServices(
        config: config,
        catalog: ModelCatalog(config: config),
        store: store,
        authenticator: Authenticator(store: store, masterKey: environment["CHORUS_MASTER_KEY"], cacheSeconds: config.server.keyCacheSeconds),
        rateLimiter: RateLimiter(),
        upstream: upstream,
        usageLog: UsageLog(store: store, logger: logger),
        metrics: GatewayMetrics(),
        logger: logger)

    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: ErrorShapeMiddleware())
    OperationalRoutes(services: services).register(on: router)
    for prefix in ["v1", "api/v1"] {
        let group = router.group(RouterPath(stringLiteral: prefix))
        TextRoutes(services: services).register(on: group)
        ModelRoutes(services: services).register(on: group)
    }

    let application = Application(
        responder: router.buildResponder(),
        configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "chorus"),
        services: [services.usageLog, UpstreamClientService(client: upstream)],
        logger: logger)
    return Gateway(application: application, services: services)
}

/// Owns the upstream client's lifetime inside the ServiceGroup: on shutdown, open transfers are aborted and the
/// event thread joined.
struct UpstreamClientService: Service {
    let client: UpstreamClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
