import ArgumentParser
import ChorusGateway
import Foundation
import Hummingbird
import Logging
import NIOCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Override server.host.") var host: String?
    @Option(help: "Override server.port (1–65535).") var port: Int?

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be 1–65535, not \(port)") }
        if let host, host.isEmpty || host.contains(where: \.isWhitespace) { throw ValidationError("--host must be a host name or address") }
    }

    func run() async throws {
        // The request log lines, in swift-log's stream format at a fraction of its cost per line.
        LoggingSystem.bootstrap { label in LineLogHandler(label: label) }
        var config = try loadConfigOrExit(options.config)
        if config.models.isEmpty {
            FileHandle.standardError.write(Data("warning: \(config.sourcePath ?? "the config") defines no models: every model route will answer 404\n".utf8))
        }
        // Image URLs follow the address the server is told to use, so `--port` does not break them.
        config.server.override(host: host, port: port)
        var environment = ProcessInfo.processInfo.environment
        // No master key configured: make one for this run only and show it once (when the server is up), so a
        // fresh `chorus serve` is usable at once. It is not stored anywhere.
        let generatedKey: String? = Gateway.masterKey(config: config, environment: environment) == nil ? APIKeyHasher.generateKey() : nil
        if let generatedKey { environment["CHORUS_MASTER_KEY"] = generatedKey }
        let (host, models) = (config.server.host, config.models.map(\.name).joined(separator: ", "))
        let gateway: Gateway
        do {
            gateway = try await buildGateway(config: config, environment: environment) { port in
                if let generatedKey {
                    say("CHORUS_MASTER_KEY is not set; this run's master key is:\n  \(generatedKey)\nSet CHORUS_MASTER_KEY (or server.master_key) to keep one across restarts.")
                }
                say("chorus listening on http://\(host):\(port) — models: \(models)")
            }
        } catch let error as StorageError {
            // A database that cannot be opened (a PostgreSQL server away or refusing the login): one line naming
            // it without its password, where the argument parser would print the type's debug form.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        do {
            try await gateway.application.runService()
        } catch {
            let address = "\(config.server.host):\(config.server.port)"
            FileHandle.standardError.write(Data("error: \(Self.describe(error, address: address))\n".utf8))
            throw ExitCode(1)
        }
    }

    /// One line a person can act on, for the ways a server fails to start.
    static func describe(_ error: any Error, address: String) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "\(address) is already in use (another chorus?); choose another with --port or server.port"
            case EADDRNOTAVAIL: return "\(address) is not an address of this machine (--host or server.host)"
            case EACCES: return "no permission to listen on \(address) (ports below 1024 need privileges)"
            default: return "cannot listen on \(address): \(io.description)"
            }
        }
        return "the server stopped: \(error)"
    }
}

/// A startup line, written at once: `print` is block-buffered when stdout is a file or a pipe (docker, systemd,
/// `> log`), so the master key only appeared when the process exited.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func loadConfigOrExit(_ path: String?) throws -> GatewayConfig {
    do {
        return try ConfigLoader().load(path: path)
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
