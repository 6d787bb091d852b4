/// What to say and how: the engine-level form of `POST /v1/audio/speech`.
public struct SpeechRequest: Sendable {
    /// The text to speak (plain text; no SSML).
    public var text: String
    public var voice: VoicePreset
    /// 0.25–4.0, 1.0 is normal. See ``EspeakEngine/wordsPerMinute(speed:)`` for the mapping and its clamping.
    public var speed: Double
    /// A language tag (`en`, `fr`, `de`, `es`, `pt-br`…); `nil` keeps the preset's own language (English).
    public var language: String?
    /// Synthesis stops after this many seconds of audio (the stream ends with ``EngineError/Code/tooLong`` after
    /// the audio up to the limit); nil for no limit.
    public var maxSeconds: Double?

    public init(text: String, voice: VoicePreset, speed: Double = 1.0, language: String? = nil, maxSeconds: Double? = nil) {
        self.text = text
        self.voice = voice
        self.speed = speed
        self.language = language
        self.maxSeconds = maxSeconds
    }
}
