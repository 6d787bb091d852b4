import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The batched usage writer. `record` only appends to an in-memory batch under a lock (nothing touches the
/// database on the request path); `run` flushes batches in one transaction every `interval`.
/// When the database is locked or the disk is full the batch is kept and retried, up to `maxPending` rows;
/// past that the oldest rows are dropped and counted, so a broken disk cannot grow memory without bound.
public final class UsageLog: Service, Sendable {
    private let store: Store
    private let logger: Logger
    private let interval: Duration
    private let maxPending: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var pending: [UsageRecord] = []
        var dropped = 0
        var written = 0
    }

    public init(store: Store, logger: Logger, interval: Duration = .milliseconds(50), maxPending: Int = 100_000) {
        self.store = store
        self.logger = logger
        self.interval = interval
        self.maxPending = maxPending
    }

    public func record(_ record: UsageRecord) {
        state.withLockedValue { state in
            state.pending.append(record)
            if state.pending.count > maxPending {
                state.pending.removeFirst(state.pending.count - maxPending)
                state.dropped += 1
            }
        }
    }

    public var droppedCount: Int { state.withLockedValue { $0.dropped } }
    public var writtenCount: Int { state.withLockedValue { $0.written } }
    public var pendingCount: Int { state.withLockedValue { $0.pending.count } }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            await flush()
        }
        // Shutdown: write what is left.
        await flush()
    }

    /// Writes every pending row now. Failed rows go back to the front of the queue for the next flush.
    public func flush() async {
        let batch = state.withLockedValue { state -> [UsageRecord] in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.pool.write { db in
                for row in batch { try Self.insert(row, db: db) }
            }
            state.withLockedValue { $0.written += batch.count }
        } catch {
            logger.warning("usage log write failed; will retry", metadata: ["chorus.error": "\(error)", "chorus.rows": "\(batch.count)"])
            state.withLockedValue { state in
                state.pending.insert(contentsOf: batch, at: 0)
                if state.pending.count > maxPending {
                    let excess = state.pending.count - maxPending
                    state.pending.removeFirst(excess)
                    state.dropped += excess
                }
            }
        }
    }

    static func insert(_ r: UsageRecord, db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO generation_logs (created_at, request_id, key_id, model, provider, route, status, stream,
              prompt_summary, prompt_tokens, completion_tokens, total_tokens, characters, audio_seconds, images,
              image_size, ttfb_ms, latency_ms, bytes_in, bytes_out, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let values: [(any DatabaseValueConvertible)?] = [
            r.createdAt.timeIntervalSince1970, r.requestID, r.keyID, r.model, r.provider, r.route, r.status, r.stream,
            r.promptSummary, r.promptTokens, r.completionTokens, r.totalTokens, r.characters, r.audioSeconds, r.images,
            r.imageSize, r.ttfbMs, r.latencyMs, r.bytesIn, r.bytesOut, r.error,
        ]
        try statement.execute(arguments: StatementArguments(values))
    }
}
