import Foundation
import Testing

/// `chorus serve` on a PostgreSQL it cannot use: one `error:` line on stderr naming the database without its
/// password, an exit status that is not 0, and no wait longer than the start-up retries.
// They choose their database themselves: the suite's second pass on PostgreSQL would only repeat them.
@Suite(.enabled(if: StorageBackend.suite == .sqlite, "runs once, in the SQLite pass"), .timeLimit(.minutes(2)))
struct ServeDatabaseFaultTests {
    /// Runs `chorus serve` on a config whose `database` is `url`; returns its exit status, stderr, and how long it
    /// ran (it is killed after 40 s: the test fails then rather than hang).
    static func serve(database url: String) async throws -> (status: Int32, errors: String, took: Duration) {
        let directory = try ServeCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("chorus.yaml")
        try """
            database: "\(url)"
            providers:
              local: {type: builtin}
            models:
              - {name: local-tts, provider: local, model: espeak}

            """.write(to: config, atomically: true, encoding: .utf8)
        let err = directory.appendingPathComponent("err.log")
        let started = ContinuousClock.now
        let process = try ServeCommandTests.start(["--config", config.path, "--port", String(try ServeCommandTests.freePort())],
                                                  stdout: directory.appendingPathComponent("out.log"), stderr: err)
        while process.isRunning, ContinuousClock.now - started < .seconds(40) { try await Task.sleep(for: .milliseconds(50)) }
        let took = ContinuousClock.now - started
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: err, encoding: .utf8), took)
    }

    @Test func anUnreachableServerIsOneErrorLineWithoutThePasswordAndANonZeroExitWithinSeconds() async throws {
        // A loopback port nothing listens on: every connection is refused, as with a server that is down.
        let port = try ServeCommandTests.freePort()
        let (status, errors, took) = try await Self.serve(database: "postgres://chorus:s3cret-pw@127.0.0.1:\(port)/chorus?sslmode=disable")
        #expect(status != 0)
        #expect(took < .seconds(20), "start-up retries are bounded: \(took)")
        #expect(errors.hasPrefix("error: Could not open the database postgres://chorus@127.0.0.1:\(port)/chorus: "), "\(errors)")
        #expect(errors.split(separator: "\n").count == 1, "one line: \(errors)")
        #expect(!errors.contains("s3cret-pw"))
    }

    @Test(.enabled(if: StorageBackend.postgresURL != nil, "needs CHORUS_TEST_POSTGRES"))
    func aWrongPasswordNamesTheURLWithoutThePasswordAndExitsAtOnce() async throws {
        let url = try #require(StorageBackend.postgresURL)
        var components = try #require(URLComponents(string: url))
        components.password = "wrong-pw-123"
        let wrong = try #require(components.string)
        let (status, errors, took) = try await Self.serve(database: wrong)
        #expect(status != 0)
        #expect(took < .seconds(15), "a refused login is not retried: \(took)")
        let redacted = "postgres://\(components.user ?? "")@\(components.host ?? ""):\(components.port ?? 5432)\(components.path)"
        #expect(errors.hasPrefix("error: Could not open the database \(redacted): "), "\(errors)")
        #expect(errors.contains("password authentication failed"), "the server's reason: \(errors)")
        #expect(errors.split(separator: "\n").count == 1, "one line: \(errors)")
        #expect(!errors.contains("wrong-pw-123"))
    }
}
