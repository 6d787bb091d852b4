import ArgumentParser
import ChorusGateway
import ChorusUpstream
import Logging

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List configured models and where they resolve.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        // The catalog is made of the configured providers; building them opens no connection.
        let upstream = try UpstreamClient(logger: Logger(label: "chorus.upstream"))
        let catalog = ModelCatalog(config: config, environment: ProviderEnvironment(upstream: upstream, metrics: GatewayMetrics()))
        print(["NAME", "PROVIDER", "TYPE", "UPSTREAM MODEL", "CAPABILITIES", "FALLBACKS"].joined(separator: "\t"))
        for model in catalog.all {
            let capabilities = Capability.allCases.filter(model.supports).map(\.rawValue).joined(separator: ",")
            print([model.name, model.providerName, model.providerType.rawValue, model.upstreamModel, capabilities,
                   model.config.fallbacks.isEmpty ? "-" : model.config.fallbacks.joined(separator: ",")].joined(separator: "\t"))
        }
        await upstream.shutdown()
    }
}
