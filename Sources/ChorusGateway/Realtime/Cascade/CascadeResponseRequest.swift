import ChorusEngines
import ChorusWire

/// What one response is asked to do: from the session's settings, changed by `response.create`'s `response`.
struct CascadeResponseRequest: Sendable {
    /// `conversation: "none"`: the answer is not added to the conversation (and its events name none).
    var outOfBand = false
    var instructions: String
    var modalities: [String]
    var voice: VoicePreset
    var speed: Double
    /// The context the chat model gets: the conversation, or the response's own `input`.
    var turns: [CascadeChat.Turn]
    var metadata: JSONValue = .null

    var speaksAudio: Bool { modalities.contains("audio") }

    /// The latest turns the chat model is given: a long session does not grow every call without bound.
    static let maxTurns = 40

    init(settings: CascadeSettings, conversation: [CascadeChat.Turn]) {
        instructions = settings.instructions
        modalities = settings.outputModalities
        voice = settings.voice
        speed = settings.speed
        turns = Array(conversation.suffix(Self.maxTurns))
    }

    /// `response.create`'s `response` object applied; `items` resolves an `item_reference` by id.
    mutating func apply(_ response: JSONValue, presets: VoicePresets,
                        items: (String) -> CascadeChat.Turn?) throws(CascadeEventError) {
        guard case .object = response else { throw .invalid("response", "'response' must be an object.") }
        if let value = response["conversation"] {
            guard let name = value.stringValue, name == "auto" || name == "none" else {
                throw .invalid("response.conversation", "'response.conversation' must be 'auto' or 'none'.")
            }
            outOfBand = name == "none"
        }
        if let value = response["instructions"] {
            guard let text = value.stringValue else { throw .invalid("response.instructions", "'response.instructions' must be a string.") }
            instructions = text
        }
        if let value = response["output_modalities"] {
            modalities = try CascadeSettings.modalities(value, param: "response.output_modalities")
        }
        if let value = response["audio"]?["output"]?["voice"] {
            voice = try CascadeSettings.voice(value, presets: presets, param: "response.audio.output.voice")
        }
        if let value = response["metadata"] { metadata = value }
        if let value = response["input"] {
            guard let list = value.arrayValue else { throw .invalid("response.input", "'response.input' must be a list of items.") }
            var given: [CascadeChat.Turn] = []
            for (index, item) in list.enumerated() {
                given.append(try Self.turn(item, param: "response.input[\(index)]", items: items))
            }
            turns = given
        }
    }

    /// A message item (`input_text`/`text`/`output_text` parts, or audio parts with a transcript), or a reference.
    static func turn(_ item: JSONValue, param: String, items: (String) -> CascadeChat.Turn?) throws(CascadeEventError) -> CascadeChat.Turn {
        if item["type"]?.stringValue == "item_reference" {
            guard let id = item["id"]?.stringValue, let turn = items(id) else {
                throw .invalid(param + ".id", "No conversation item has that id.")
            }
            return turn
        }
        guard item["type"]?.stringValue ?? "message" == "message",
              let role = item["role"]?.stringValue, ["user", "assistant", "system"].contains(role) else {
            throw .invalid(param, "Items must be messages with a role of user, assistant or system.")
        }
        let parts = item["content"]?.arrayValue ?? []
        let text = parts.compactMap { $0["text"]?.stringValue ?? $0["transcript"]?.stringValue }.joined(separator: " ")
        return CascadeChat.Turn(role: role, text: text)
    }
}
