import ChorusEngines
import NIOConcurrencyHelpers

/// The in-process engines (`type: builtin`): espeak-ng speaks for models `espeak`/`espeak-ng`, pocketsphinx
/// listens for `pocketsphinx`. Each engine starts on first use (loading its data takes a moment) and then serves
/// every request on its own thread.
final class BuiltinProvider: Provider {
    let config: ProviderConfig
    let presets: VoicePresets
    private let espeak = NIOLockedValueBox<EspeakEngine?>(nil)
    private let pocketsphinx = NIOLockedValueBox<PocketSphinxEngine?>(nil)

    init(config: ProviderConfig, environment: ProviderEnvironment) {
        self.config = config
        presets = environment.presets
    }

    var speech: (any SpeechProvider)? { self }
    var transcription: (any TranscriptionProvider)? { self }

    func defaultCapabilities(upstreamModel: String) -> Set<Capability> {
        switch upstreamModel {
        case "espeak", "espeak-ng": [.speech]
        case "pocketsphinx": [.transcription, .translation]
        // The offline realtime engine: it listens with pocketsphinx and speaks with espeak-ng (`chat_model` answers).
        case "realtime": [.realtime]
        default: []
        }
    }

    func speechEngine() throws(GatewayError) -> EspeakEngine {
        try Self.started(espeak, what: "speech engine") { try EspeakEngine() }
    }

    func recogniser() throws(GatewayError) -> PocketSphinxEngine {
        try Self.started(pocketsphinx, what: "recogniser") { try PocketSphinxEngine() }
    }

    /// The engine in `box`, started by `start` on first use.
    static func started<Engine>(_ box: NIOLockedValueBox<Engine?>, what: String,
                                        _ start: () throws -> Engine) throws(GatewayError) -> Engine {
        do {
            return try box.withLockedValue { engine in
                if let engine { return engine }
                let started = try start()
                engine = started
                return started
            }
        } catch {
            throw .internalError("The embedded \(what) could not start: \(error)")
        }
    }

    func shutdown() async {
        espeak.withLockedValue { $0?.shutdown() }
        pocketsphinx.withLockedValue { $0?.shutdown() }
    }
}
