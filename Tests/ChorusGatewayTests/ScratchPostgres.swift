import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of a test's own (scripts/postgres-scratch on a free port in its own folder), for tests that
/// stop or restart the server under a gateway: the shared one of `CHORUS_TEST_POSTGRES` must stay up for the rest.
struct ScratchPostgres: Sendable {
    let url: String
    private let environment: [String: String]

    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/postgres-scratch").standardizedFileURL
    }

    /// Debian's server binaries are installed (scripts/setup --test).
    static var available: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/pg_ctl") }
    }

    static func start() async throws -> ScratchPostgres {
        let port = try await ShutdownTests.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["CHORUS_PG_DATA"] = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-pg-\(UUID().uuidString)").path
        environment["CHORUS_PG_PORT"] = String(port)
        let output = try await run(["start"], environment: environment)
        return ScratchPostgres(url: output.trimmingCharacters(in: .whitespacesAndNewlines), environment: environment)
    }

    /// Stops the server with `pg_ctl stop -m fast` (every connection cut), keeps it away `seconds`, starts it again.
    func restart(downFor seconds: Int) async throws {
        _ = try await Self.run(["restart", String(seconds)], environment: environment)
    }

    func stop() async {
        _ = try? await Self.run(["stop"], environment: environment)
    }

    /// Runs the script and waits for it without blocking a thread, at most 60 s (then it is killed).
    ///
    /// Spawned with posix_spawn, not Foundation's `Process`: in this test process (many `Process` children at once
    /// from other suites) Foundation's child monitor did not always reap the script, or reaped it before a
    /// `waitpid` here could, and the outage tests hung in a full parallel run. A child Foundation does not know
    /// about is reaped by this `waitpid` alone.
    private static func run(_ arguments: [String], environment: [String: String]) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-pg-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([script.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script.path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw ScratchPostgresError(arguments: arguments, status: -spawned) }
        let status = await exitStatus(of: pid, within: .seconds(60))
        guard status == 0 else { throw ScratchPostgresError(arguments: arguments, status: status) }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }
}

/// The exit status of child `pid`, polled with `waitpid(WNOHANG)` every 50 ms; killed after `limit`.
func exitStatus(of pid: pid_t, within limit: Duration) async -> Int32 {
    let deadline = ContinuousClock.now + limit
    while true {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid {
            // WIFEXITED / WEXITSTATUS, which do not import: the low 7 bits are the signal, the next 8 the status.
            return status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        }
        if reaped == -1 { return -1 }
        if ContinuousClock.now > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            return -1
        }
        try? await Task.sleep(for: .milliseconds(50))
    }
}

struct ScratchPostgresError: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    var description: String { "scripts/postgres-scratch \(arguments.joined(separator: " ")) exited \(status)" }
}
