import ChorusEngines
import ChorusWire

/// A cascade session's configuration, as `session.update` changes it (the GA shape: `audio.input`/`audio.output`).
struct CascadeSettings: Sendable {
    struct TurnDetection: Sendable, Equatable {
        var vad = VoiceActivityDetector.Settings()
        var createResponse = true
        var interruptResponse = true
    }

    static let defaultInstructions = "You are a helpful voice assistant. Answer briefly, in plain sentences that read well aloud."

    /// `realtime` (listen, answer, speak) or `transcription` (listen and transcribe only).
    var type = "realtime"
    var instructions = CascadeSettings.defaultInstructions
    var voice: VoicePreset
    var speed = 1.0
    var outputModalities = ["audio"]
    /// nil: turn detection off, the client commits.
    var turnDetection: TurnDetection? = TurnDetection()
    /// The model name the client asked to transcribe with; nil: no transcription events.
    var transcriptionModel: String?

    var speaksAudio: Bool { outputModalities.contains("audio") }

    /// The session with `update` applied, or the first thing wrong with it (the session stays as it was).
    func applying(_ update: JSONValue, presets: VoicePresets) throws(CascadeEventError) -> CascadeSettings {
        guard case .object = update else { throw .invalid("session", "'session' must be an object.") }
        var next = self
        if let type = update["type"] {
            guard let name = type.stringValue, ["realtime", "transcription"].contains(name) else {
                throw .invalid("session.type", "'session.type' must be 'realtime' or 'transcription'.")
            }
            next.type = name
        }
        if let value = update["instructions"] {
            guard let text = value.stringValue else { throw .invalid("session.instructions", "'session.instructions' must be a string.") }
            next.instructions = text
        }
        if let value = update["output_modalities"] {
            next.outputModalities = try Self.modalities(value, param: "session.output_modalities")
        }
        let input = update["audio"]?["input"]
        try Self.checkFormat(input?["format"], param: "session.audio.input.format")
        if let value = input?["turn_detection"] {
            next.turnDetection = try Self.turnDetection(value, current: turnDetection)
        }
        if let value = input?["transcription"] {
            if value.isNull {
                next.transcriptionModel = nil
            } else {
                guard case .object = value else {
                    throw .invalid("session.audio.input.transcription", "'session.audio.input.transcription' must be an object or null.")
                }
                next.transcriptionModel = value["model"]?.stringValue ?? "pocketsphinx"
            }
        }
        let output = update["audio"]?["output"]
        try Self.checkFormat(output?["format"], param: "session.audio.output.format")
        if let value = output?["voice"] {
            next.voice = try Self.voice(value, presets: presets, param: "session.audio.output.voice")
        }
        if let value = output?["speed"] {
            guard let speed = value.doubleValue, (0.25...1.5).contains(speed) else {
                throw .invalid("session.audio.output.speed", "'session.audio.output.speed' must be a number from 0.25 to 1.5.")
            }
            next.speed = speed
        }
        return next
    }

    /// `["audio"]` or `["text"]`, as the protocol allows.
    static func modalities(_ value: JSONValue, param: String) throws(CascadeEventError) -> [String] {
        guard let list = value.arrayValue?.compactMap(\.stringValue), list.count == 1, ["audio", "text"].contains(list[0]) else {
            throw .invalid(param, "'\(param)' must be [\"audio\"] or [\"text\"].")
        }
        return list
    }

    /// The engine hears and speaks PCM16 at 24 kHz only.
    static func checkFormat(_ value: JSONValue?, param: String) throws(CascadeEventError) {
        guard let value, !value.isNull else { return }
        let type = value["type"]?.stringValue
        let rate = value["rate"]?.intValue ?? 24000
        guard type == nil || type == "audio/pcm", rate == 24000 else {
            throw .invalid(param, "'\(param)' must be audio/pcm at 24000 Hz: the embedded engine takes no other format.")
        }
    }

    /// A preset name (`alloy`…, as `/v1/audio/speech` takes), or an espeak-ng voice name (`en-us+f3`).
    static func voice(_ value: JSONValue, presets: VoicePresets, param: String) throws(CascadeEventError) -> VoicePreset {
        guard let name = value.stringValue, !name.isEmpty, name.count <= 64 else {
            throw .invalid(param, "'\(param)' must be a voice name.")
        }
        if let preset = presets.preset(named: name) { return preset }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-+_".contains($0)) }) else {
            throw .invalid(param, "Unknown voice '\(name)'. Voices: \(presets.names.joined(separator: ", ")), or an espeak-ng voice name.")
        }
        return VoicePreset(name: name, espeakVoice: name)
    }

    /// `turn_detection`: null turns it off; `server_vad` with its settings turns it on (unset settings keep theirs).
    static func turnDetection(_ value: JSONValue, current: TurnDetection?) throws(CascadeEventError) -> TurnDetection? {
        let param = "session.audio.input.turn_detection"
        if value.isNull { return nil }
        guard case .object = value else { throw .invalid(param, "'\(param)' must be an object or null.") }
        guard value["type"]?.stringValue ?? "server_vad" == "server_vad" else {
            throw .invalid(param + ".type", "Only 'server_vad' turn detection is available on this model.")
        }
        var detection = current ?? TurnDetection()
        if let v = value["threshold"] {
            guard let threshold = v.doubleValue, (0...1).contains(threshold) else {
                throw .invalid(param + ".threshold", "'threshold' must be a number from 0 to 1.")
            }
            detection.vad.threshold = threshold
        }
        for (key, path) in [("prefix_padding_ms", \VoiceActivityDetector.Settings.prefixPaddingMs),
                            ("silence_duration_ms", \VoiceActivityDetector.Settings.silenceDurationMs)] {
            guard let v = value[key] else { continue }
            guard let ms = v.intValue, (0...10_000).contains(ms) else {
                throw .invalid(param + "." + key, "'\(key)' must be a whole number of milliseconds from 0 to 10000.")
            }
            detection.vad[keyPath: path] = ms
        }
        for (key, path) in [("create_response", \TurnDetection.createResponse), ("interrupt_response", \TurnDetection.interruptResponse)] {
            guard let v = value[key] else { continue }
            guard let flag = v.boolValue else { throw .invalid(param + "." + key, "'\(key)' must be true or false.") }
            detection[keyPath: path] = flag
        }
        return detection
    }
}
