import ArgumentParser

@main
struct Chorus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chorus",
        abstract: "An OpenAI-compatible media gateway: speech, transcription, voices, images and text.",
        // No default: a bare `chorus` prints this help instead of starting a server.
        subcommands: [Serve.self, Keys.self, Voices.self, Logs.self, Models.self, Transcode.self, Mask.self])
}

/// `--config` shared by every command; falls back to CHORUS_CONFIG, then the embedded default.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to chorus.yaml (default: $CHORUS_CONFIG, else the embedded default).")
    var config: String?
}
