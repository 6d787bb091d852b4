import ChorusGateway
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A gateway whose PostgreSQL server goes away under it, each test with a server of its own (ScratchPostgres):
/// calls keep answering — 200 where the database is not needed (the key cached, no balance), a prompt 503 with
/// Retry-After where it is — the usage rows wait in memory and are written once, and balances are charged once.
// They choose their database themselves: the suite's second pass on PostgreSQL (CHORUS_TEST_BACKEND) would only
// repeat them.
@Suite(.enabled(if: ScratchPostgres.available, "needs PostgreSQL's server (apt install postgresql)"),
       .enabled(if: StorageBackend.suite == .sqlite, "runs once, in the SQLite pass"), .timeLimit(.minutes(2)), .serialized)
struct PostgresOutageTests {
    /// A gateway on its own scratch server, `gpt-test` priced 1 a call; the server is stopped at the end.
    static func withGateway(keyCacheSeconds: Double,
                            _ body: @Sendable (any TestClientProtocol, Gateway, ScratchPostgres) async throws -> Void) async throws {
        let server = try await ScratchPostgres.start()
        do {
            try await MockUpstream().application.test(.live) { upstream in
                var config = testConfig(upstreamPort: upstream.port ?? 0)
                // A lease waits 1 s: the outage tests must see the 503, not wait out the default 5 s.
                config.database = server.url + "&lease_timeout=1&statement_timeout=5"
                config.server.keyCacheSeconds = keyCacheSeconds
                config.price("gpt-test", perRequest: 1)
                let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "outage"))
                try await gateway.application.test(.live) { client in try await body(client, gateway, server) }
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// One chat call over a real socket, bounded: its status and `Retry-After`.
    static func call(_ http: UpstreamClient, port: Int, key: String) async throws -> (status: Int, retryAfter: String?, body: String) {
        let response = try await http.execute(UpstreamRequest(
            method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
            headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
            body: .bytes(TenancyTests.chatBody), timeout: 30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let retryAfter = response.headers.first { $0.0.lowercased() == "retry-after" }?.1
        return (response.status, retryAfter, String(buffer: body))
    }

    @Test func withTheServerStoppedAnUncachedKeyGetsAPrompt503WithRetryAfterAndACachedUnmeteredKeyIsServed() async throws {
        try await Self.withGateway(keyCacheSeconds: 60) { client, gateway, server in
            let port = try #require(client.port)
            let (cached, _) = try await TenancyTests.createKey(client, #"{"name":"cached"}"#)
            let (uncached, _) = try await TenancyTests.createKey(client, #"{"name":"uncached"}"#)
            let http = try UpstreamClient()
            #expect(try await Self.call(http, port: port, key: cached).status == 200, "now in the key cache")

            await server.stop()
            let started = ContinuousClock.now
            let refused = try await Self.call(http, port: port, key: uncached)
            #expect(ContinuousClock.now - started < .seconds(10), "the lease wait is bounded")
            #expect(refused.status == 503, "\(refused.body)")
            #expect(refused.retryAfter == "2")
            #expect(refused.body.contains("api_error") && refused.body.contains("(request id: "), "\(refused.body)")
            #expect(!refused.body.contains("127.0.0.1") && !refused.body.contains("chorus_test"), "no database detail: \(refused.body)")
            let served = try await Self.call(http, port: port, key: cached)
            #expect(served.status == 200, "\(served.body)")
            await http.shutdown()
            #expect(gateway.services.usageLog.pendingCount >= 1 || gateway.services.usageLog.failedWriteCount >= 1)
            Self.progress("stopped-server test: checks done; gateway stopping")
        }
        Self.progress("stopped-server test: gateway and server stopped")
    }

    @Test func callsAcrossAServerRestartAllAnswerAndEveryRowIsWrittenAndChargedExactlyOnce() async throws {
        try await Self.withGateway(keyCacheSeconds: 60) { client, gateway, server in
            let port = try #require(client.port)
            Self.progress("restart test: gateway up")
            let (key, id) = try await TenancyTests.createKey(client, #"{"name":"metered","balance":1000}"#)
            let http = try UpstreamClient()
            // Four lanes of calls, one after another in each, while the server is stopped for 2 s and started again.
            let outcomes = try await withThrowingTaskGroup(of: [(status: Int, retryAfter: String?, body: String)].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var outcomes: [(status: Int, retryAfter: String?, body: String)] = []
                        let until = ContinuousClock.now + .seconds(5)
                        while ContinuousClock.now < until {
                            outcomes.append(try await Self.call(http, port: port, key: key))
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        return outcomes
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(500))
                    try await server.restart(downFor: 2)
                    return []
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            Self.progress("calls done: \(outcomes.count)")
            await http.shutdown()
            Self.progress("client shut down")
            let served = outcomes.filter { $0.status == 200 }.count
            let unavailable = outcomes.filter { $0.status == 503 }
            #expect(served + unavailable.count == outcomes.count, "only 200 or 503: \(Set(outcomes.map(\.status)))")
            #expect(unavailable.allSatisfy { $0.retryAfter == "2" && $0.body.contains("(request id: ") })
            #expect(served > 0 && !unavailable.isEmpty, "the restart was seen: \(served) served, \(unavailable.count) refused")

            // Every call's row, written once the server is back (the writer retries every 50 ms).
            let written = await eventually(within: 30, asking: {
                await gateway.services.usageLog.flush()
                return gateway.services.usageLog.pendingCount == 0
            })
            #expect(written, "rows still pending: \(gateway.services.usageLog.pendingCount)")
            Self.progress("rows written: \(written)")
            let rows = try await gateway.services.store.recentUsage(limit: 10_000).filter { $0.usage.route.hasSuffix("chat/completions") }
            #expect(rows.count == outcomes.count, "one row per call")
            #expect(Set(rows.map(\.usage.requestID)).count == rows.count, "no row twice")
            let balance = try await TenancyTests.showKey(client, id)["balance"] as? Double
            #expect(balance == Double(1000 - served), "charged once per served call: \(String(describing: balance)), \(served) served")
            Self.progress("checks done; gateway stopping")
        }
        Self.progress("gateway and server stopped")
    }

    /// Where the test is, straight to stderr (unbuffered): this suite has once stopped without finishing, and the
    /// last line says which step never returned.
    static func progress(_ step: String) {
        FileHandle.standardError.write(Data("[outage] \(ContinuousClock.now) \(step)\n".utf8))
    }
}
