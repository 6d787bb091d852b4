import Foundation
import Logging
import ServiceLifecycle

/// Deletes usage rows older than `server.log_retention_days`, when the server starts and every hour after.
///
/// A sweep deletes in batches of `batchSize` rows, each its own short transaction with a pause between them, so
/// even a first sweep over years of rows never holds SQLite's one writer long enough to hold up the usage writer's
/// batches (which wait at most the busy timeout, 5 s, for the lock).
public struct UsageRetention: Service {
    let store: any GatewayStorage
    let days: Int
    let batchSize: Int
    let interval: Duration
    let pause: Duration
    private let logger: Logger

    public init(store: any GatewayStorage, days: Int, batchSize: Int = 2000, interval: Duration = .seconds(3600),
                pause: Duration = .milliseconds(20), logger: Logger = Logger(label: "chorus.usage.retention")) {
        self.store = store
        self.days = days
        self.batchSize = max(1, batchSize)
        self.interval = interval
        self.pause = pause
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let deleted = try await self.sweep()
                    if deleted > 0 {
                        self.logger.notice("usage rows past retention deleted", metadata: ["chorus.rows": "\(deleted)", "chorus.days": "\(self.days)"])
                    }
                } catch {
                    self.logger.warning("usage retention sweep failed; old rows stay until the next one", metadata: ["chorus.error": "\(error)"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Deletes every row created more than `days` days before `now`, batch by batch; returns how many went.
    /// Stops early (between batches) when the task is cancelled: the next sweep carries on.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(days) * 86400)
        var total = 0
        while !Task.isCancelled {
            let deleted = try await store.deleteUsage(before: cutoff, limit: batchSize)
            total += deleted
            guard deleted == batchSize else { break }
            try? await Task.sleep(for: pause)
        }
        return total
    }
}
