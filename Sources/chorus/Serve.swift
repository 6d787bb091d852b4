import ArgumentParser
import ChorusGateway
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Override server.host.") var host: String?
    @Option(help: "Override server.port.") var port: Int?

    func run() async throws {
        var config = try loadConfigOrExit(options.config)
        if let host { config.server.host = host }
        if let port { config.server.port = port }
        var environment = ProcessInfo.processInfo.environment
        if (environment["CHORUS_MASTER_KEY"] ?? "").isEmpty {
            // No master key configured: make one for this run only and show it once, so a fresh `chorus serve`
            // is usable at once. It is not stored anywhere.
            let key = APIKeyHasher.generateKey()
            environment["CHORUS_MASTER_KEY"] = key
            print("CHORUS_MASTER_KEY is not set; this run's master key is:\n  \(key)\nSet CHORUS_MASTER_KEY to choose your own.")
        }
        let gateway = try buildGateway(config: config, environment: environment)
        let models = config.models.map(\.name).joined(separator: ", ")
        print("chorus listening on http://\(config.server.host):\(config.server.port) — models: \(models)")
        try await gateway.application.runService()
    }
}

func loadConfigOrExit(_ path: String?) throws -> GatewayConfig {
    do {
        return try ConfigLoader().load(path: path)
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
