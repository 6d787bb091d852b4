@testable import ChorusGateway
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The usage writer under database faults: a lock held by another connection, a full disk (SQLite's page limit, and
/// a real tmpfs that runs out of space), a row the database refuses. Requests keep answering, rows wait and are
/// written once the database can take them, and nothing (rows in memory, file descriptors) grows without bound.
@Suite struct UsageLogFaultTests {
    static func tempDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("chorus-fault-\(UUID().uuidString).sqlite").path
    }

    static func row(_ i: Int, route: String = "/test") -> UsageRecord {
        var record = UsageRecord(requestID: "req-\(i)", route: route)
        record.status = 200
        record.latencyMs = 1
        record.promptSummary = String(repeating: "p", count: 200)
        return record
    }

    static func rowCount(_ store: SQLiteStore) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM generation_logs") ?? -1 }
    }

    /// Open descriptors of this process on `path` and its -wal/-shm files.
    static func descriptors(on path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"))?.hasPrefix(path) ?? false
        }.count
    }

    static func metric(_ name: String, in metrics: GatewayMetrics) -> Double? {
        String(decoding: metrics.text(), as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func rowsWaitWhileAnotherConnectionHoldsTheLockAndAreWrittenOnceItLetsGo() async throws {
        let path = Self.tempDatabase()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let store = try SQLiteStore(path: path, busyTimeout: 0)
            let metrics = GatewayMetrics()
            let log = UsageLog(store: store, logger: Logger(label: "test"), metrics: metrics)
            let locker = try WriteLockHolder(path: path)

            for i in 0..<10 { log.record(Self.row(i)) }
            await log.flush()
            let openWhileLocked = Self.descriptors(on: path)
            for _ in 0..<300 { await log.flush() }

            #expect(log.pendingCount == 10)
            #expect(log.writtenCount == 0)
            #expect(log.failedWriteCount == 301)
            #expect(log.droppedCount == 0)
            #expect(Self.metric("chorus_usage_write_failures_total", in: metrics) == 301)
            #expect(Self.metric("chorus_usage_rows_pending", in: metrics) == 10)
            #expect(Self.descriptors(on: path) == openWhileLocked, "failed writes must not leave files open")

            locker.release()
            await log.flush()
            #expect(log.pendingCount == 0)
            #expect(log.writtenCount == 10)
            #expect(try Self.rowCount(store) == 10)
            #expect(Self.metric("chorus_usage_rows_pending", in: metrics) == 0)
        }
        // The lock holder's connection closes when its thread ends, just after `release()` returns.
        for _ in 0..<50 where Self.descriptors(on: path) > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(Self.descriptors(on: path) == 0, "the store's connections close with it")
    }

    /// A reader that flushes to see every finished request (the admin key view) must not return while the periodic
    /// flush is still writing the batch it took: it returned at once, and a key's spend lagged its balance.
    @Test func aFlushWaitsForTheBatchAnotherFlushIsWriting() async throws {
        let path = Self.tempDatabase()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path, busyTimeout: 10)
        let log = UsageLog(store: store, logger: Logger(label: "test"))
        let locker = try WriteLockHolder(path: path)
        for i in 0..<10 { log.record(Self.row(i)) }
        // The "periodic" flush takes the batch and waits on the lock.
        let first = Task { await log.flush() }
        for _ in 0..<100 where log.pendingCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(log.pendingCount == 0, "the first flush took the batch")
        let releaser = Task {
            try await Task.sleep(for: .milliseconds(300))
            locker.release()
        }
        await log.flush()
        #expect(try Self.rowCount(store) == 10, "the second flush returned before the batch was written")
        await first.value
        try await releaser.value
    }

    @Test func rowsWaitWhileTheDatabaseIsFullAndPendingRowsStayBounded() async throws {
        let path = Self.tempDatabase()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path)
        let metrics = GatewayMetrics()
        let log = UsageLog(store: store, logger: Logger(label: "test"), metrics: metrics, maxPending: 300)
        // SQLite answers SQLITE_FULL ("database or disk is full") once the file would grow past this many pages.
        let pages = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }

        for i in 0..<500 { log.record(Self.row(i)) }
        await log.flush()
        await log.flush()
        #expect(log.writtenCount == 0)
        #expect(log.failedWriteCount == 2)
        #expect(log.pendingCount == 300, "the queue stays at maxPending")
        #expect(log.droppedCount == 200)
        #expect(Self.metric("chorus_usage_rows_dropped_total", in: metrics) == 200)

        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1000000") }
        await log.flush()
        #expect(log.writtenCount == 300)
        #expect(log.pendingCount == 0)
        // The newest rows are the ones kept.
        let ids = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT request_id FROM generation_logs ORDER BY id") }
        #expect(ids.first == "req-200")
        #expect(ids.last == "req-499")
    }

    @Test func aRowTheDatabaseRefusesIsDroppedAloneAndTheOthersAreWritten() async throws {
        let path = Self.tempDatabase()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path)
        let metrics = GatewayMetrics()
        let log = UsageLog(store: store, logger: Logger(label: "test"), metrics: metrics)
        try await store.pool.write { db in
            try db.execute(sql: """
                CREATE TEMP TRIGGER refuse_poison BEFORE INSERT ON generation_logs WHEN NEW.route = '/poison'
                BEGIN SELECT RAISE(ABORT, 'refused'); END
                """)
        }
        log.record(Self.row(1))
        log.record(Self.row(2, route: "/poison"))
        log.record(Self.row(3))
        await log.flush()
        #expect(log.writtenCount == 2)
        #expect(log.droppedCount == 1)
        #expect(log.pendingCount == 0)
        #expect(try Self.rowCount(store) == 2)
        log.record(Self.row(4))
        await log.flush()
        #expect(log.writtenCount == 3, "later batches are not held back")
    }

    @Test func requestsAnswerWhileTheDatabaseIsLockedAndTheirRowsAreWrittenAfterwards() async throws {
        // A locked SQLite file: SQLite's own fault, whatever backend the suite runs on.
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.database = StorageBackend.sqlite.freshDatabase()
            return config
        }) { client, gateway, _ in
            let locker = try WriteLockHolder(path: gateway.services.config.database)
            // The lock is held until all five have answered: a request that waited for it would never answer.
            for _ in 0..<5 {
                let response = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
                #expect(response.status == .ok)
            }
            await Task.yield()
            #expect(try await gateway.services.store.recentUsage(limit: 10).isEmpty, "nothing can be written while locked")
            locker.release()
            let rows = try await logRows(gateway, atLeast: 5)
            #expect(rows.count == 5)
            #expect(rows.allSatisfy { $0.status == 200 && $0.route == "/models" })
        }
    }

    /// A real full disk: the database on a 2 MiB tmpfs that a filler file fills up. Needs root (mount); skipped,
    /// and shown as skipped, elsewhere.
    @Test(.enabled(if: TmpfsMount.canMount, "mounting a tmpfs needs root"))
    func requestsAnswerWhileTheDiskIsFullAndTheirRowsAreWrittenWhenSpaceFreesUp() async throws {
        let mount = try TmpfsMount(sizeKiB: 2048)
        defer { mount.unmount() }
        let database = mount.path + "/chorus.sqlite"
        let filler = mount.path + "/filler"
        try await withGateway(config: { port in
            var config = testConfig(upstreamPort: port)
            config.database = database
            return config
        }) { client, gateway, _ in
            _ = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
            _ = try await logRows(gateway, atLeast: 1)
            let failuresBefore = gateway.services.usageLog.failedWriteCount
            // An emptied WAL must grow for the next commit. Without this, a checkpointed WAL is rewritten in place
            // and small commits need no new disk space, so the full disk went unnoticed in one CI run.
            _ = try await #require(gateway.services.store as? SQLiteStore).pool.writeWithoutTransaction { db in
                try db.checkpoint(.truncate)
            }
            #expect(TmpfsMount.fill(filler) > 0)
            for _ in 0..<20 {
                let response = try await client.execute(uri: "/v1/models", method: .get, headers: bearer(masterKey))
                #expect(response.status == .ok)
            }
            for _ in 0..<5 { await gateway.services.usageLog.flush() }
            #expect(gateway.services.usageLog.failedWriteCount > failuresBefore, "the writer hit the full disk")
            // Held back, not dropped. Not necessarily all 20: SQLite can still fit a batch into pages it freed, so
            // some batches may be written while others fail. Every one of them is in the table below.
            #expect(gateway.services.usageLog.pendingCount > 0)
            #expect(gateway.services.usageLog.droppedCount == 0)

            try FileManager.default.removeItem(atPath: filler)
            let rows = try await logRows(gateway, atLeast: 21)
            #expect(rows.count == 21)
            #expect(gateway.services.usageLog.pendingCount == 0)
        }
    }

    @Test(arguments: [false, true])
    func clientHangingUpHalfwayThroughAnUploadGetsA499RowAndLeavesNoSocketOpen(reset: Bool) async throws {
        try await withGateway { client, gateway, _ in
            let port = try #require(client.port)
            let boundary = "chorus-abort"
            var head = "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(masterKey)\r\n"
            head += "Content-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: 200000\r\n\r\n"
            head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nlocal-stt\r\n"
            head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
            let half = Array(head.utf8) + [UInt8](repeating: 0x55, count: 100_000)
            let connection = try RawClient(port: port)
            try connection.send(half)
            try await Task.sleep(for: .milliseconds(200))  // the server starts on the body
            connection.hangUp(reset: reset)

            let rows = try await logRows(gateway)
            #expect(rows.first?.status == 499)
            #expect(rows.first?.route == "/audio/transcriptions")
            #expect((rows.first?.bytesIn ?? 0) > 0)
            // The server's side of the connection is closed too (no ESTABLISHED or CLOSE_WAIT socket on its port).
            var open = RawClient.serverSockets(port: port, peerPort: connection.localPort)
            for _ in 0..<50 where !open.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                open = RawClient.serverSockets(port: port, peerPort: connection.localPort)
            }
            #expect(open.isEmpty, "sockets left open on the gateway's port: \(open)")
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
        }
    }
}

/// Another connection holding SQLite's write lock (BEGIN EXCLUSIVE) from init until `release()`. GRDB refuses a
/// transaction left open between two accesses, so the lock is held inside one access, on a thread of its own.
final class WriteLockHolder: Sendable {
    private let held = DispatchSemaphore(value: 0)
    private let releasing = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    private final class Outcome: @unchecked Sendable {
        // Written before `held` is signalled, read after it is waited for.
        var error: (any Error)?
    }

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)  // wait out a flush that is writing right now
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let (held, releasing, released, outcome) = (held, releasing, released, Outcome())
        Thread.detachNewThread {
            do {
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN EXCLUSIVE")
                    held.signal()
                    releasing.wait()
                    try db.execute(sql: "COMMIT")
                }
            } catch {
                outcome.error = error
                held.signal()
            }
            released.signal()
        }
        held.wait()
        if let error = outcome.error { throw error }
    }

    /// Commits and waits until the lock is gone.
    func release() {
        releasing.signal()
        released.wait()
    }
}

/// A tmpfs of a given size under /tmp, for disk-full tests.
struct TmpfsMount {
    let path: String

    static let canMount: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

    init(sizeKiB: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let status = Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeKiB)k", "tmpfs", path])
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw TmpfsError(message: "mount -t tmpfs failed (exit \(status))")
        }
    }

    func unmount() {
        _ = Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes zeros to `file` until the filesystem is full; returns the bytes written.
    static func fill(_ file: String) -> Int {
        guard let handle = fopen(file, "w") else { return 0 }
        defer { fclose(handle) }
        let block = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = block.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
            total += n
            if n < block.count || fflush(handle) != 0 { break }
        }
        return total
    }

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        (try? ChildProcess.run(tool, arguments))?.status ?? -1
    }

    struct TmpfsError: Error { var message: String }
}

/// A bare TCP client, for what HTTP clients will not do: stop in the middle of a body.
struct RawClient {
    struct Failure: Error { var message: String }

    let fd: Int32
    let localPort: Int

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failure(message: "connect: \(errno)") }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        localPort = Int(UInt16(bigEndian: local.sin_port))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(message: "send: \(errno)") }
            sent += n
        }
    }

    /// Closes the connection: a FIN, or with `reset` an RST (SO_LINGER 0).
    func hangUp(reset: Bool) {
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close(fd)
    }

    /// The server's end of the connection from `peerPort` to `port` in /proc/net/tcp, while it is established or
    /// waiting for its owner to close it (states 01 and 08): a connection the server never closed.
    static func serverSockets(port: Int, peerPort: Int) -> [String] {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return [] }
        let local = String(format: ":%04X", port), remote = String(format: ":%04X", peerPort)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[1].hasSuffix(local), fields[2].hasSuffix(remote),
                  fields[3] == "01" || fields[3] == "08" else { return nil }
            return String(line)
        }
    }
}
