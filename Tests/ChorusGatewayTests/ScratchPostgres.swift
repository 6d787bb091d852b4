import Foundation

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
    private static func run(_ arguments: [String], environment: [String: String]) async throws -> String {
        let process = Process()
        process.executableURL = script
        process.arguments = arguments
        process.environment = environment
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-pg-out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        let ended = AsyncStream<Int32> { continuation in
            process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
        }
        try process.run()
        let deadline = Task { try await Task.sleep(for: .seconds(60)); process.terminate() }
        defer { deadline.cancel() }
        var status: Int32 = -1
        for await code in ended { status = code }
        guard status == 0 else { throw ScratchPostgresError(arguments: arguments, status: status) }
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }
}

struct ScratchPostgresError: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    var description: String { "scripts/postgres-scratch \(arguments.joined(separator: " ")) exited \(status)" }
}
