import ChorusUpstream
import Logging

/// What the routes share: built once per application by `buildGateway`.
public struct GatewayServices: Sendable {
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

    var maxBodyBytes: Int { config.server.maxBodyMB * 1024 * 1024 }
    var maxUploadBytes: Int { config.server.maxUploadMB * 1024 * 1024 }
}
