import ChorusEngines
import Foundation

/// The voices a caller can name: the presets (OpenAI voice names → engine voices, from `voices/presets.yaml` or
/// built in) and the custom voices cloned from uploaded samples.
public final class VoiceServices: Sendable {
    public let presets: VoicePresets
    public let library: VoiceLibrary
    public let sampleLimits: VoiceSampleLimits

    public init(config: GatewayConfig, store: any GatewayStorage) throws {
        let presetsPath = URL(fileURLWithPath: config.voicesDirectory).appendingPathComponent("presets.yaml").path
        if FileManager.default.fileExists(atPath: presetsPath) {
            presets = try VoicePresets.load(path: presetsPath)
        } else {
            presets = .builtIn
        }
        var limits = VoiceSampleLimits()
        limits.minSeconds = config.server.voiceSampleMinSeconds
        limits.maxSeconds = config.server.voiceSampleMaxSeconds
        sampleLimits = limits
        let samples = try openBlobStore(.voices, inDatabase: config.effectiveBlobStorage == .database,
                                        directory: URL(fileURLWithPath: config.voicesDirectory).appendingPathComponent("custom", isDirectory: true),
                                        storage: store)
        library = VoiceLibrary(store: store, samples: samples, limits: limits)
    }

    /// The voice a speech request asks for, settled for a provider that clones by `cloning`: a name, or a
    /// normalised sample (an inline `audio_sample` or a stored custom voice `caller` owns; another key's voice is
    /// 404 like an unknown id). 400 when the provider neither clones nor matches voices.
    func settle(name: String?, customID: String?, inlineSample: [UInt8]?, caller: Caller, provider: String,
                cloning: VoiceCloning) async throws(GatewayError) -> SpeechJob.Voice {
        let sample: [UInt8]
        let param: String
        if let inlineSample {
            (sample, param) = (inlineSample, "audio_sample")
        } else if let customID {
            (sample, param) = (try await library.sample(customID, for: caller), "voice")
        } else {
            return .named(name)
        }
        guard cloning != .none else {
            throw .invalidParameter(param, "Provider '\(provider)' cannot clone voices (voice_cloning: \(cloning.rawValue)); use a named voice.")
        }
        if param == "voice" { return .sample(sample) }  // stored samples are already normalised
        let limits = sampleLimits
        return .sample(try await Offload.run { () throws(GatewayError) in
            try VoiceSample.normalize(sample, sampleRate: VoiceLibrary.sampleRate, limits: limits, param: param).wav
        })
    }
}
