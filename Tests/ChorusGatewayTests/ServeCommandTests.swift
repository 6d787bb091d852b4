import ChorusGateway
import ChorusUpstream
import Foundation
import Testing

/// `chorus serve` as a new user meets it: startup lines in a redirected log at once, a busy or impossible port
/// said in one line, and `--port` moving the URLs the gateway hands out.
@Suite struct ServeCommandTests {
    static func freePort() throws -> Int {
        let reserved = try LoopbackSocket(listening: false)
        return reserved.port
    }

    static func start(_ arguments: [String], stdout: URL, stderr: URL, environment: [String: String] = [:]) throws -> Process {
        FileManager.default.createFile(atPath: stdout.path, contents: nil)
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = try ShutdownTests.chorusBinary()
        process.arguments = ["serve"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["CHORUS_MASTER_KEY"] = nil
        env["CHORUS_CONFIG"] = nil
        process.environment = env.merging(environment) { $1 }
        process.currentDirectoryURL = stdout.deletingLastPathComponent()
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func theMasterKeyReachesARedirectedLogAsSoonAsTheServerListens() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try Self.freePort()
        let out = directory.appendingPathComponent("out.log")
        let process = try Self.start(["--port", String(port)], stdout: out, stderr: directory.appendingPathComponent("err.log"))
        defer { process.terminate(); process.waitUntilExit() }
        var listening: ContinuousClock.Instant?
        for _ in 0..<400 where listening == nil {
            if await ShutdownTests.canConnect(port: port) { listening = .now } else { try await Task.sleep(for: .milliseconds(25)) }
        }
        let since = try #require(listening, "chorus did not start")
        var text = ""
        while ContinuousClock.now - since < .seconds(1), !text.contains("listening") {
            text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(text.contains("this run's master key is:\n  sk-chorus-"), "\(text)")
        #expect(text.contains("chorus listening on http://127.0.0.1:\(port)"), "\(text)")
    }

    @Test func aBusyPortExitsNonZeroWithOneClearLineAndNoKey() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let busy = try LoopbackSocket(listening: true)
        let (out, err) = (directory.appendingPathComponent("out.log"), directory.appendingPathComponent("err.log"))
        let process = try Self.start(["--port", String(busy.port)], stdout: out, stderr: err)
        for _ in 0..<500 where process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus != 0)
        let errors = try String(contentsOf: err, encoding: .utf8)
        #expect(errors == "error: 127.0.0.1:\(busy.port) is already in use (another chorus?); choose another with --port or server.port\n",
                "\(errors)")
        #expect(try String(contentsOf: out, encoding: .utf8).isEmpty, "nothing claims a server that never ran")
    }

    @Test func aPortOutOfRangeIsRefusedBeforeAnythingStarts() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let err = directory.appendingPathComponent("err.log")
        let process = try Self.start(["--port", "99999"], stdout: directory.appendingPathComponent("out.log"), stderr: err)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(try String(contentsOf: err, encoding: .utf8).contains("--port must be 1–65535, not 99999"))
    }

    @Test func bareChorusPrintsHelpInsteadOfStartingAServer() throws {
        let (status, output) = try runChorus([])
        #expect(status == 0)
        #expect(output.contains("USAGE: chorus <subcommand>") && output.contains("serve"), "\(output)")
    }

    @Test func aConfigWithoutModelsStartsWithAWarningNamingTheFile() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("empty.yaml")
        try "database: \(directory.path)/c.sqlite\n".write(to: config, atomically: true, encoding: .utf8)
        let err = directory.appendingPathComponent("err.log")
        let port = try Self.freePort()
        let process = try Self.start(["--config", config.path, "--port", String(port)], stdout: directory.appendingPathComponent("out.log"), stderr: err)
        defer { process.terminate(); process.waitUntilExit() }
        var text = ""
        for _ in 0..<200 where !text.contains("defines no models") {
            text = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(text.contains("warning: \(config.path) defines no models"), "\(text)")
    }

    @Test func aMasterKeyInTheConfigIsUsedAndNoneIsGenerated() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("chorus.yaml")
        let port = try Self.freePort()
        try "server: {master_key: '${MY_KEY}'}\ndatabase: \(directory.path)/c.sqlite\n".write(to: config, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("out.log")
        let process = try Self.start(["--config", config.path, "--port", String(port)], stdout: out,
                                     stderr: directory.appendingPathComponent("err.log"), environment: ["MY_KEY": "sk-chorus-kept-across-restarts"])
        defer { process.terminate(); process.waitUntilExit() }
        var text = ""
        for _ in 0..<400 where !text.contains("listening") {
            text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(text.contains("listening") && !text.contains("master key is"), "\(text)")
        let http = try UpstreamClient()
        let answer = try await http.execute(UpstreamRequest(url: "http://127.0.0.1:\(port)/admin/keys",
                                                            headers: [("Authorization", "Bearer sk-chorus-kept-across-restarts")]))
        for try await _ in answer.body {}
        #expect(answer.status == 200)
        await http.shutdown()
    }

    @Test func aShortMasterKeyInTheConfigIsAStartUpError() {
        #expect(throws: ConfigError.self) { try ConfigLoader(environment: [:]).parse("server: {master_key: short}", file: "t.yaml") }
    }

    @Test func thePortOverrideMovesPublicURLUnlessTheConfigSetsIt() throws {
        var derived = try ConfigLoader(environment: [:]).parse("server: {port: 8080}", file: "t.yaml").server
        derived.override(host: nil, port: 18123)
        #expect(derived.publicURL == "http://127.0.0.1:18123")
        var explicit = try ConfigLoader(environment: [:]).parse("server: {public_url: 'https://img.example'}", file: "t.yaml").server
        explicit.override(host: "0.0.0.0", port: 18123)
        #expect(explicit.publicURL == "https://img.example")
        var embedded = GatewayConfig.embeddedDefault.server
        embedded.override(host: nil, port: 9000)
        #expect(embedded.publicURL == "http://127.0.0.1:9000")
    }
}
