import ChorusEngines
import ChorusWire

extension CascadeSettings {
    static let audioFormat: JSONValue = ["type": "audio/pcm", "rate": 24000]

    /// The `session` object of `session.created`/`session.updated`.
    func json(id: String, model: String) -> JSONValue {
        var turn: JSONValue = .null
        if let turnDetection {
            turn = ["type": "server_vad", "threshold": .number(turnDetection.vad.threshold),
                    "prefix_padding_ms": .number(turnDetection.vad.prefixPaddingMs),
                    "silence_duration_ms": .number(turnDetection.vad.silenceDurationMs),
                    "create_response": .bool(turnDetection.createResponse),
                    "interrupt_response": .bool(turnDetection.interruptResponse), "idle_timeout_ms": .null]
        }
        let transcription: JSONValue = transcriptionModel.map { ["model": .string($0)] } ?? .null
        let input: JSONValue = ["format": Self.audioFormat, "transcription": transcription, "noise_reduction": .null,
                                "turn_detection": turn]
        if type == "transcription" {
            return ["type": "transcription", "object": "realtime.transcription_session", "id": .string(id),
                    "audio": ["input": input], "include": .null]
        }
        let output: JSONValue = ["format": Self.audioFormat, "voice": .string(voice.name), "speed": .number(speed)]
        return ["type": "realtime", "object": "realtime.session", "id": .string(id), "model": .string(model),
                "output_modalities": .array(outputModalities.map(JSONValue.string)), "instructions": .string(instructions),
                "audio": ["input": input, "output": output], "tools": [], "tool_choice": "auto",
                "max_output_tokens": "inf", "tracing": .null, "truncation": "auto", "prompt": .null]
    }
}
