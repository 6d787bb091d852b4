import ChorusEngines
import ChorusWire

/// The builtin provider's engines a cascade session listens and speaks with.
struct CascadeEngines: Sendable {
    let recogniser: PocketSphinxEngine
    let voice: CascadeVoice
    let presets: VoicePresets
    /// Longest uncommitted input the session holds (the provider's `max_audio_seconds`, at most 15 minutes).
    let maxInputSeconds: Double
}

/// Work the session does in order, one item at a time: a committed turn to recognise, a response to give.
enum CascadeWork: Sendable {
    case turn(itemID: String, samples: [Int16], respond: Bool)
    case respond(JSONValue?)
}

