import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The batched usage writer. `record` only appends to an in-memory batch under a lock (nothing touches the
/// database on the request path); `run` flushes batches in one transaction every `interval`.
///
/// When the database is locked, the disk is full or the file cannot be written, the batch is kept and retried on
/// the next flush, up to `maxPending` rows; past that the oldest rows are dropped. Failed writes and dropped rows
/// are counted (`chorus_usage_write_failures_total`, `chorus_usage_rows_dropped_total`, and the
/// `chorus_usage_rows_pending` gauge) and logged: a warning when writes start failing and at most once a minute
/// while they keep failing, a notice when they resume. A row the database refuses on its own (a constraint) is
/// dropped alone, so it cannot hold the others back.
public final class UsageLog: Service, Sendable {
    private let store: any GatewayStorage
    private let logger: Logger
    private let metrics: GatewayMetrics?
    private let interval: Duration
    private let maxPending: Int
    private let warningInterval: Duration
    private let state = NIOLockedValueBox(State())
    private let gate = FlushGate()

    private struct State {
        var pending: [UsageRecord] = []
        var dropped = 0
        var written = 0
        var failedWrites = 0
        /// Set while writes fail: failed attempts and rows dropped since the first failure, and the last warning.
        var outage: Outage?
    }

    private struct Outage {
        var failures = 0
        var droppedAtStart: Int
        var lastWarning: ContinuousClock.Instant
    }

    public init(store: any GatewayStorage, logger: Logger, metrics: GatewayMetrics? = nil, interval: Duration = .milliseconds(50),
                maxPending: Int = 100_000, warningInterval: Duration = .seconds(60)) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.interval = interval
        self.maxPending = maxPending
        self.warningInterval = warningInterval
    }

    public func record(_ record: UsageRecord) {
        let overflow = state.withLockedValue { state in
            state.pending.append(record)
            return dropOverflow(&state)
        }
        if overflow > 0 { metrics?.usageRowsDropped(overflow) }
    }

    public var droppedCount: Int { state.withLockedValue { $0.dropped } }
    public var writtenCount: Int { state.withLockedValue { $0.written } }
    public var pendingCount: Int { state.withLockedValue { $0.pending.count } }
    /// Flushes that could not write their batch.
    public var failedWriteCount: Int { state.withLockedValue { $0.failedWrites } }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            await flush()
        }
        // Shutdown: write what is left, and say so if it cannot be written.
        await flush()
        let (lost, dropped) = state.withLockedValue { ($0.pending.count, $0.dropped) }
        if lost > 0 || dropped > 0 {
            logger.error("usage rows lost at shutdown", metadata: ["chorus.rows.unwritten": "\(lost)", "chorus.rows.dropped": "\(dropped)"])
        }
    }

    /// Writes every pending row now. Rows that could not be written go back to the front of the queue.
    ///
    /// One flush at a time: a caller that flushes to read what finished (`GET /admin/keys/{id}`, reports) waits for
    /// a batch the periodic flush is writing right now, instead of returning at once with that batch's rows — and
    /// their keys' settlements — not yet in the database.
    public func flush() async {
        await gate.run { await self.flushOnce() }
    }

    private func flushOnce() async {
        let batch = state.withLockedValue { state -> [UsageRecord] in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await write(batch)
            succeeded(count: batch.count)
        } catch let error as StorageError where error.isRowRefused {
            await writeOneByOne(batch)
        } catch {
            failed(putBack: batch, error: error)
        }
        let pending = pendingCount
        metrics?.usageRowsPending(pending)
    }

    private func write(_ rows: [UsageRecord]) async throws {
        try await store.appendUsage(rows)
    }

    /// A batch the database refused for one of its rows: each row on its own, dropping only the refused ones.
    private func writeOneByOne(_ batch: [UsageRecord]) async {
        var written = 0
        for (index, row) in batch.enumerated() {
            do {
                try await write([row])
                written += 1
            } catch let error as StorageError where error.isRowRefused {
                state.withLockedValue { $0.dropped += 1 }
                metrics?.usageRowsDropped(1)
                logger.error("usage row refused by the database; dropped",
                             metadata: ["chorus.request.id": "\(row.requestID)", "chorus.error": "\(error)"])
            } catch {
                if written > 0 { succeeded(count: written) }
                failed(putBack: Array(batch[index...]), error: error)
                return
            }
        }
        if written > 0 { succeeded(count: written) }
    }

    private func succeeded(count: Int) {
        let resumed = state.withLockedValue { state -> (failures: Int, dropped: Int)? in
            state.written += count
            defer { state.outage = nil }
            return state.outage.map { ($0.failures, state.dropped - $0.droppedAtStart) }
        }
        if let resumed {
            logger.notice("usage log writes resumed", metadata: [
                "chorus.failed_attempts": "\(resumed.failures)", "chorus.rows.dropped": "\(resumed.dropped)",
                "chorus.rows": "\(count)",
            ])
        }
    }

    private func failed(putBack batch: [UsageRecord], error: any Error) {
        let now = ContinuousClock.now
        let (overflow, warn, pending, dropped) = state.withLockedValue { state in
            state.pending.insert(contentsOf: batch, at: 0)
            let overflow = dropOverflow(&state)
            state.failedWrites += 1
            var warn = false
            if state.outage == nil {
                state.outage = Outage(droppedAtStart: state.dropped - overflow, lastWarning: now)
                warn = true
            } else if let last = state.outage?.lastWarning, now - last >= warningInterval {
                state.outage?.lastWarning = now
                warn = true
            }
            state.outage?.failures += 1
            return (overflow, warn, state.pending.count, state.dropped)
        }
        metrics?.usageWriteFailed()
        if overflow > 0 { metrics?.usageRowsDropped(overflow) }
        if warn {
            logger.warning("usage log cannot write; rows are kept and retried", metadata: [
                "chorus.error": "\(error)", "chorus.rows.pending": "\(pending)", "chorus.rows.dropped": "\(dropped)",
            ])
        }
    }

    /// Drops the oldest rows past `maxPending`; returns how many.
    private func dropOverflow(_ state: inout State) -> Int {
        let excess = state.pending.count - maxPending
        guard excess > 0 else { return 0 }
        state.pending.removeFirst(excess)
        state.dropped += excess
        return excess
    }
}

/// Runs one body at a time, in arrival order.
private actor FlushGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async -> Void) async {
        if busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        await body()
        if waiters.isEmpty {
            busy = false
        } else {
            // Handed straight to the next caller: `busy` stays set, so no one can slip in between.
            waiters.removeFirst().resume()
        }
    }
}
