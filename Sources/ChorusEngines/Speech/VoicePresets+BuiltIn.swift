extension VoicePresets {
    /// The 13 OpenAI voice names mapped to distinct espeak-ng voices: the same table as `voices/presets.yaml`,
    /// compiled in for when the file is missing. Each differs from the others in accent, variant or pitch.
    public static let builtIn = VoicePresets([
        VoicePreset(name: "alloy", espeakVoice: "en+m1", pitch: 50, description: "Balanced, neutral voice"),
        VoicePreset(name: "ash", espeakVoice: "en-us+m3", pitch: 58, description: "Clear American male voice"),
        VoicePreset(name: "ballad", espeakVoice: "en-gb-x-rp+m7", pitch: 40, description: "Soft, low British voice"),
        VoicePreset(name: "coral", espeakVoice: "en-us+f1", pitch: 62, description: "Warm American female voice"),
        VoicePreset(name: "echo", espeakVoice: "en+m2", pitch: 35, description: "Resonant low male voice"),
        VoicePreset(name: "fable", espeakVoice: "en-gb-x-rp+m4", pitch: 42, description: "Expressive British storyteller"),
        VoicePreset(name: "nova", espeakVoice: "en-us+f3", pitch: 75, description: "Bright, energetic female voice"),
        VoicePreset(name: "onyx", espeakVoice: "en+m6", pitch: 20, description: "Deep male voice"),
        VoicePreset(name: "sage", espeakVoice: "en+f4", pitch: 42, description: "Calm, measured female voice"),
        VoicePreset(name: "shimmer", espeakVoice: "en+f2", pitch: 85, description: "Light, high female voice"),
        VoicePreset(name: "verse", espeakVoice: "en-us+m5", pitch: 82, description: "Versatile American male voice"),
        VoicePreset(name: "marin", espeakVoice: "en-gb-scotland+f5", pitch: 45, description: "Gentle Scottish female voice"),
        VoicePreset(name: "cedar", espeakVoice: "en-us+m8", pitch: 30, description: "Grounded, low American voice"),
    ])
}
