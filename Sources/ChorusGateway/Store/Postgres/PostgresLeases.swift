import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// The pool as the storage operations use it: a connection is waited for at most `timeout`.
///
/// postgres-nio's pool queues a lease for as long as it takes; while the server is away (restarting, a network
/// cut) it keeps trying to connect and every caller waits with it, so a request that needs the database would hang
/// and the usage writer would stall without end. Here a lease not granted in time fails with
/// `StorageError.unavailable` (the request answers 503, the usage rows stay buffered for the next flush). Only the
/// wait for a connection is bounded, never the statements once they run: a statement given up on half-way could
/// still commit (a balance held for a call that was refused). A connection whose work outlasts `statementTimeout` is
/// closed instead, which fails the statement on it: a connection caught by a server restart was seen never to
/// answer again, and its caller (the usage writer's flush) waited for good. Closing it ends the statement for
/// both sides — the server rolls back an open transaction whose client went — and the caller is answered at that
/// moment whatever the statement does next (one leased after its connection had already closed never ended at all).
struct PostgresLeases: Sendable {
    let client: PostgresClient
    let timeout: Duration
    var statementTimeout: Duration = .seconds(60)
    let location: String

    /// Who got there first: the lease or the deadline. Whichever does, the other stands down — a lease granted
    /// after the deadline releases its connection without running the body.
    private enum Race: Sendable { case waiting, leased, timedOut }

    /// The lease runs in a task of its own, raced by a timer, and the caller waits on a continuation that the
    /// first of them resumes. Not a task group: a group waits for all its children, and postgres-nio's lease can
    /// miss a cancellation that arrives just before it queues (it then waits for a connection a stopped server
    /// never gives), so a caller in a group could hang past its deadline. Here the caller is resumed at the
    /// deadline whatever the lease does; a lease granted later gives its connection straight back.
    func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let race = NIOLockedValueBox(Race.waiting)
        let outcome = OneShotResult<Result>()
        let (client, timeout, location, statementTimeout) = (client, timeout, location, statementTimeout)
        // The lease task, for its own watchdog to cancel (the handle exists only once the task does).
        let leaseTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
        let lease = Task {
            do {
                let result = try await client.withConnection { connection in
                    let won = race.withLockedValue { state in
                        guard state == .waiting else { return false }
                        state = .leased
                        return true
                    }
                    guard won else { throw StorageError.unavailable(location, "no connection within \(timeout)") }
                    let watchdog = Task {
                        try await Task.sleep(for: statementTimeout)
                        // The channel's close, not the async close: that one waits on the connection's state machine,
                        // which is what stopped answering.
                        let _: EventLoopFuture<Void> = connection.close()
                        // And the caller is answered now: a statement on a connection that was already closed when
                        // it was leased (the server stopped while it sat in the pool) was seen never to fail, close
                        // or not. That lease is left to end when it does; its connection is closed.
                        outcome.finish(.failure(StorageError.unavailable(
                            location, "a statement did not finish within \(statementTimeout); its connection was closed")))
                        leaseTask.withLockedValue { $0 }?.cancel()
                    }
                    defer { watchdog.cancel() }
                    do {
                        return try await body(connection)
                    } catch {
                        // Stopped first, so a watchdog still asleep answers at once (not after its sleep).
                        watchdog.cancel()
                        if await Self.fired(watchdog) {
                            // Given back to the pool only once closed, so the pool does not hand it out again.
                            try? await connection.closeFuture.get()
                            throw StorageError.unavailable(location, "a statement did not finish within \(statementTimeout); its connection was closed")
                        }
                        throw error
                    }
                }
                outcome.finish(.success(result))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        leaseTask.withLockedValue { $0 = lease }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let lost = race.withLockedValue { state in
                guard state == .waiting else { return false }
                state = .timedOut
                return true
            }
            if lost {
                outcome.finish(.failure(StorageError.unavailable(location, "no connection within \(timeout)")))
                lease.cancel()
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            // A caller gone before its lease stops waiting for one; a body already running finishes (its statements
            // are never cut half-way).
            let waiting = race.withLockedValue { state in
                guard state == .waiting else { return false }
                state = .timedOut
                return true
            }
            if waiting {
                outcome.finish(.failure(CancellationError()))
                lease.cancel()
            }
        }
    }

    /// Whether the watchdog closed the connection (it ran to its end rather than being cancelled).
    private static func fired(_ watchdog: Task<Void, any Error>) async -> Bool {
        guard case .success = await watchdog.result else { return false }
        return true
    }

    func withTransaction<Result: Sendable>(logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// One statement, its rows read in full before the connection goes back to the pool.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRows {
        try await withConnection { connection in
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
            return PostgresRows(rows: rows)
        }
    }
}

/// A statement's rows, already read.
struct PostgresRows: Sendable {
    let rows: [PostgresRow]

    func decode<Column: PostgresDecodable>(_ type: Column.Type) throws -> [Column] {
        try rows.map { try $0.decode(Column.self) }
    }

    func decode<each Column: PostgresDecodable>(_ type: (repeat each Column).Type) throws -> [(repeat each Column)] {
        try rows.map { try $0.decode(type) }
    }
}
