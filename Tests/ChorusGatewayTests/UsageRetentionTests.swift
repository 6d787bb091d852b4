@testable import ChorusGateway
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// `server.log_retention_days`: rows older than the limit go, in bounded batches; younger ones stay.
@Suite struct UsageRetentionTests {
    @Test(arguments: StorageBackend.available)
    func retentionDeletesOnlyRowsOlderThanTheLimit(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let now = Date()
            let old = (0..<11).map { UsageReportTests.row(now.addingTimeInterval(-31 * 86400 - Double($0) * 3600), model: "old") }
            let young = [UsageReportTests.row(now.addingTimeInterval(-29 * 86400), model: "young"),
                         UsageReportTests.row(now.addingTimeInterval(-30 * 86400 + 60), model: "young")]
            try await store.appendUsage(old + young)
            // Batches of 3: four deletes for eleven rows, none of them over the bound.
            #expect(try await store.deleteUsage(before: now.addingTimeInterval(-30 * 86400), limit: 3) == 3)
            let retention = UsageRetention(store: store, days: 30, batchSize: 3, pause: .milliseconds(1))
            #expect(try await retention.sweep(now: now) == 8)
            let left = try await store.recentUsage(limit: 100)
            #expect(left.count == 2 && left.allSatisfy { $0.model == "young" })
            #expect(try await retention.sweep(now: now) == 0)
        }
    }

    @Test func gatewayDeletesOldRowsWhenItStarts() async throws {
        let path = GatewayStorageTests.tempPath()
        let now = Date()
        do {
            let store = try SQLiteStore(path: path)
            try await store.appendUsage([UsageReportTests.row(now.addingTimeInterval(-8 * 86400), model: "old"),
                                         UsageReportTests.row(now.addingTimeInterval(-6 * 86400), model: "young")])
        }
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.database = path
            config.server.logRetentionDays = 7
            return config
        }) { _, gateway, _ in
            var models: [String?] = []
            for _ in 0..<200 {
                models = try await gateway.services.store.recentUsage(limit: 10).map(\.model)
                if !models.contains("old") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(models == ["young"])
        }
    }

    @Test func noRetentionServiceRunsWhenTheLimitIsZero() async throws {
        let path = GatewayStorageTests.tempPath()
        do {
            let store = try SQLiteStore(path: path)
            try await store.appendUsage([UsageReportTests.row(Date(timeIntervalSince1970: 86400), model: "ancient")])
        }
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.database = path
            return config
        }) { client, gateway, _ in
            // A request through the gateway proves its services run; the ancient row is still there after it.
            _ = try await client.execute(uri: "/health", method: .get)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await gateway.services.store.recentUsage(limit: 10).map(\.model).contains("ancient"))
        }
    }
}
