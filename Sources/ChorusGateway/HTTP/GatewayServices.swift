import ChorusUpstream
import Logging

/// What the routes share: built once per application by `buildGateway`. A class: the route structs that hold it
/// are copied into every request's async frames, and copying this (the whole config among it) each time was ~50
/// copies and several hundred retains per proxied request (bench/PROFILE.md).
public final class GatewayServices: Sendable {
    public let config: GatewayConfig
    public let catalog: ModelCatalog
    public let store: any GatewayStorage
    public let authenticator: Authenticator
    public let rateLimiter: RateLimiter
    public let upstream: UpstreamClient
    public let usageLog: UsageLog
    public let metrics: GatewayMetrics
    public let logger: Logger
    /// Fallbacks, retries and each provider's circuit.
    let failover: Failover

    init(config: GatewayConfig, catalog: ModelCatalog, store: any GatewayStorage, authenticator: Authenticator,
         rateLimiter: RateLimiter, upstream: UpstreamClient, usageLog: UsageLog, metrics: GatewayMetrics, logger: Logger,
         failover: Failover) {
        self.config = config
        self.catalog = catalog
        self.store = store
        self.authenticator = authenticator
        self.rateLimiter = rateLimiter
        self.upstream = upstream
        self.usageLog = usageLog
        self.metrics = metrics
        self.logger = logger
        self.failover = failover
    }

    var maxBodyBytes: Int { config.server.maxBodyMB * 1024 * 1024 }
    var maxUploadBytes: Int { config.server.maxUploadMB * 1024 * 1024 }
}
