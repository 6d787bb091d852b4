import ArgumentParser
import ChorusGateway

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List configured models and where they resolve.")
    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try loadConfigOrExit(options.config)
        let catalog = ModelCatalog(config: config)
        print(["NAME", "PROVIDER", "TYPE", "UPSTREAM MODEL", "CAPABILITIES"].joined(separator: "\t"))
        for model in catalog.all {
            let capabilities = Capability.allCases.filter(model.supports).map(\.rawValue).joined(separator: ",")
            print([model.name, model.provider.name, model.provider.type.rawValue, model.upstreamModel, capabilities].joined(separator: "\t"))
        }
    }
}
