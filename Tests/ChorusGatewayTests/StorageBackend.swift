@testable import ChorusGateway
import Foundation
import GRDB
import PostgresNIO
import Testing

/// The storage backends a test runs against: SQLite always; PostgreSQL when `CHORUS_TEST_POSTGRES` names a server
/// (`make test` starts a scratch one: scripts/postgres-scratch). Each PostgreSQL test gets its own schema, so tests
/// run in parallel on one database without seeing each other's rows.
enum StorageBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [StorageBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["CHORUS_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return url
    }

    var testDescription: String { rawValue }

    /// The backend of the gateways the suite builds (`testConfig`): PostgreSQL when `CHORUS_TEST_BACKEND=postgres`
    /// (`make test` runs the suite a second time that way), else SQLite. Tests about one backend's own behaviour
    /// (a locked SQLite file) choose their database themselves.
    static var suite: StorageBackend {
        ProcessInfo.processInfo.environment["CHORUS_TEST_BACKEND"] == "postgres" && postgresURL != nil ? .postgres : .sqlite
    }

    /// A `database:` value for a fresh, empty store of this backend.
    func freshDatabase() -> String {
        switch self {
        case .sqlite:
            return FileManager.default.temporaryDirectory.appendingPathComponent("chorus-test-\(UUID().uuidString).sqlite").path
        case .postgres:
            let url = Self.postgresURL ?? ""
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            // Every suite shares one server with small pools (pool_size=4) on a loaded 2-core machine: fifty calls
            // queued on one pool waited past the 5 s default lease there. These tests prove what is stored, not
            // how fast; the outage tests set their own short lease_timeout.
            let lease = url.contains("lease_timeout=") ? "" : "&lease_timeout=60"
            return url + (url.contains("?") ? "&" : "?") + "schema=" + schema + lease
        }
    }

    /// A fresh store; SQLite's file (or PostgreSQL's pool) goes when `body` ends.
    func withStore(_ body: (any GatewayStorage, String) async throws -> Void) async throws {
        let database = freshDatabase()
        let store = try await openStorage(database: database)
        defer {
            (store as? PostgresStore)?.close()
            if self == .sqlite { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) } }
        }
        try await body(store, database)
    }
}

/// Breaks a gateway's database under it (a table gone), whichever backend it has: the fault tests' way to make
/// every storage call fail.
func dropTable(_ table: String, of gateway: Gateway) async throws {
    switch gateway.services.store {
    case let sqlite as SQLiteStore:
        try await sqlite.pool.write { db in try db.execute(sql: "DROP TABLE \(table)") }
    case let postgres as PostgresStore:
        try await postgres.client.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"), logger: postgres.logger)
    default:
        Issue.record("no way to break \(type(of: gateway.services.store))")
    }
}
