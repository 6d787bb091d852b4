import ChorusMedia
import ChorusUpstream

/// One speech call, validated and with its voice settled.
struct SpeechJob: Sendable {
    enum Voice: Sendable, Equatable {
        /// A preset or provider voice name (alloy, nova, …); nil lets the provider choose.
        case named(String?)
        /// A voice sample to clone (or match), already normalised (mono 24 kHz WAV).
        case sample([UInt8])
    }

    var input: String
    var voice: Voice
    /// The format the caller wants; the provider transcodes when it produces another.
    var format: AudioFormat
    var speed: Double
    var instructions: String?
    var language: String?
}

/// What a provider made of a speech call.
enum SpeechResult: Sendable {
    /// Audio in the caller's format, streamed as it is produced.
    case audio(SynthesizedAudio)
    /// The provider refused (its error status and body): the caller gets it as it is.
    case upstreamAnswer(UpstreamResponse)
}

/// Text to speech.
protocol SpeechProvider: Sendable {
    /// Whether and how this provider speaks in a sample's voice: cloning it, or matching it with its own voices.
    var voiceCloning: VoiceCloning { get }
    func synthesize(_ job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> SpeechResult
}
