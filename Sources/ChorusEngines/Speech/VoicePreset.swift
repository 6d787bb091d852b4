/// One named voice of the embedded TTS engine: an OpenAI voice name mapped to an espeak-ng voice.
public struct VoicePreset: Sendable, Hashable {
    /// The name callers use (`alloy`, `nova`, …), matched case-insensitively.
    public var name: String
    /// An espeak-ng voice name, optionally with a variant: `en`, `en-us+f3`, `en-gb-x-rp+m4`.
    /// The part before `+` is the default language; a request's `language` replaces it (see ``EspeakEngine``).
    public var espeakVoice: String
    /// Base pitch, 0–100 (espeak-ng's default is 50). `nil` keeps the voice's own pitch.
    public var pitch: Int?
    /// A one-line description for `GET /v1/audio/voices`.
    public var description: String?

    public init(name: String, espeakVoice: String, pitch: Int? = nil, description: String? = nil) {
        self.name = name
        self.espeakVoice = espeakVoice
        self.pitch = pitch
        self.description = description
    }

    /// The language part of ``espeakVoice`` (`en-us` for `en-us+f3`).
    public var baseLanguage: String {
        String(espeakVoice.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The variant part of ``espeakVoice`` (`f3` for `en-us+f3`), if any.
    public var variant: String? {
        let parts = espeakVoice.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }
}
