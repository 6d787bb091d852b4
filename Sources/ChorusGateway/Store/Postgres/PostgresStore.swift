import Foundation
import Logging
import PostgresNIO

/// The shared backend of several replicas: one PostgreSQL database through a postgres-nio connection pool
/// (`database: postgres://…`, pool size and TLS from the URL). Every SQL statement it runs is in this folder; the
/// schema holds the same tables and columns as the SQLite one, so reports read the same either way.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    /// The pool with its lease bounded: what the storage operations use (the migrations take `client`).
    let pool: PostgresLeases
    let logger: Logger
    /// Where it is, without the password: for messages.
    public let location: String
    private let runner: Task<Void, Never>

    private init(_ location: PostgresLocation, logger: Logger) {
        // The pool logs every reconnection attempt at info, several a second while the server is away; what the
        // gateway does about it (rows kept, retried) is logged by the usage log.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: poolLogger)
        self.client = client
        pool = PostgresLeases(client: client, timeout: location.leaseTimeout, statementTimeout: location.statementTimeout,
                              location: location.description)
        self.logger = logger
        self.location = location.description
        // The pool works while `run()` runs; cancelling it closes every connection.
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Connects, applies the migrations this build has (one replica at a time), and returns the store; a server
    /// that cannot be reached (for 5 s of retries) or refuses the login is an error naming the URL without its
    /// password. `timeout` bounds the migrations, which may wait for another replica's behind the
    /// advisory lock: a minute, where 15 s ran out on a loaded 2-core machine opening hundreds of stores at once.
    public static func open(url: String, logger: Logger = Logger(label: "chorus.postgres"),
                            timeout: Duration = .seconds(60)) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url)
        try await probe(location, logger: logger)
        let store = PostgresStore(location, logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.migrate() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StorageError.unreachable(location.description, "no answer within \(timeout)")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let error as StorageError {
            store.close()
            throw error
        } catch {
            store.close()
            throw StorageError.unreachable(location.description, Self.reason(error))
        }
        return store
    }

    /// Connects once, creates the schema the URL names, and disconnects: reasons for failing come from here. A
    /// server that refuses or does not answer the connection is tried again for `patience` (it may be starting
    /// beside the gateway, as in a compose file or a systemd unit ordered after it); one that answers and refuses the
    /// login or the database is final at once, since waiting will not change it.
    private static func probe(_ location: PostgresLocation, logger: Logger, patience: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + patience
        var connection: PostgresConnection?
        while connection == nil {
            do {
                var configuration = try location.connectionConfiguration()
                // One attempt may not outlast the patience: a black-holed address would otherwise take the
                // full 10 s connect timeout.
                let left = deadline - .now
                configuration.options.connectTimeout = .milliseconds(max(500, min(5_000, Int64(left / .milliseconds(1)))))
                connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            } catch {
                let answered = (error as? PSQLError)?.serverInfo != nil
                guard !answered, ContinuousClock.now + .milliseconds(250) < deadline else {
                    throw StorageError.unreachable(location.description, reason(error))
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        guard let connection else { return }
        do {
            if let schema = location.schema {
                // Checked to be letters, digits and _ (`PostgresLocation`): safe to name in SQL.
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
                } catch let error as PSQLError where ["23505", "42P06"].contains(error.serverInfo?[.sqlState] ?? "") {
                    // IF NOT EXISTS is not safe against a concurrent CREATE: replicas starting together race on
                    // the catalog's unique index, and the loser's schema exists all the same.
                }
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw StorageError.unreachable(location.description, reason(error))
        }
    }

    /// Closes the pool's connections.
    public func close() { runner.cancel() }

    /// postgres-nio keeps server messages out of `description` (they may quote data); at start they are what an
    /// operator needs ("password authentication failed for user …", "connection refused").
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    /// Runs a storage operation, its errors made readable: postgres-nio's say only "PSQLError" (they may quote
    /// data); the gateway's log and usage rows need the server's message (`relation "voices" does not exist`). A row
    /// the database refused stays `StorageError.rowRefused`.
    static func described<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as StorageError {
            throw error
        } catch {
            throw PostgresStoreError(reason: reason((error as? PostgresTransactionError)?.closureError ?? error))
        }
    }

    /// The SQLSTATE of a server error: class 22 (bad data) and 23 (a constraint) refuse a row for what it holds.
    static func refusesRow(_ error: any Error) -> Bool {
        // A failure inside `withTransaction` comes wrapped, with the statement's own error inside.
        let error = (error as? PostgresTransactionError)?.closureError ?? error
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }
}

/// A PostgreSQL operation that failed, with the server's message (or the connection's failure).
struct PostgresStoreError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "PostgreSQL: \(reason)" }
}
