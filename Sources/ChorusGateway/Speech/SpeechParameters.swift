import ChorusMedia
import ChorusWire
import Foundation

/// A validated `POST /v1/audio/speech` body.
struct SpeechParameters: Sendable {
    enum Voice: Sendable, Equatable {
        /// A preset or provider voice name (alloy, nova, …).
        case named(String)
        /// A stored custom voice (`voice: "voice_…"` or `voice: {"id": "voice_…"}`).
        case custom(id: String)
    }

    enum StreamFormat: String, Sendable { case audio, sse }

    static let maxInputCharacters = 4096
    static let speedRange = 0.25...4.0

    var model: String
    var input: String
    var voice: Voice?
    var responseFormat: AudioFormat
    var speed: Double
    var instructions: String?
    var streamFormat: StreamFormat
    var language: String?
    /// Raw bytes of an inline voice sample (base64 decoded), any container.
    var audioSample: [UInt8]?

    /// Custom voice ids look like this; anything else is a voice name.
    static func isCustomVoiceID(_ text: String) -> Bool { text.hasPrefix("voice_") }

    init(json: JSONValue) throws(GatewayError) {
        model = try json.requiredString("model")
        input = try json.requiredString("input")
        guard !input.isEmpty else { throw .invalidParameter("input", "'input' must not be empty.") }
        guard input.count <= Self.maxInputCharacters else {
            throw .invalidParameter("input", "'input' is \(input.count) characters; the limit is \(Self.maxInputCharacters).")
        }
        let formatName = try json.optionalString("response_format") ?? "mp3"
        guard let format = AudioFormat(rawValue: formatName) else {
            throw .invalidParameter("response_format",
                "'response_format' must be one of \(AudioFormat.allCases.map(\.rawValue).joined(separator: ", ")); got '\(GatewayError.echo(formatName))'.")
        }
        responseFormat = format
        speed = try json.optionalNumber("speed", in: Self.speedRange) ?? 1.0
        instructions = try json.optionalString("instructions")
        language = try LanguageTag.checked(try json.optionalString("language"))
        let streamName = try json.optionalString("stream_format") ?? "audio"
        guard let streamFormat = StreamFormat(rawValue: streamName) else {
            throw .invalidParameter("stream_format", "'stream_format' must be 'audio' or 'sse'; got '\(GatewayError.echo(streamName))'.")
        }
        self.streamFormat = streamFormat

        if let sample = json["audio_sample"], !sample.isNull {
            guard let text = sample.stringValue else { throw .invalidParameter("audio_sample", "'audio_sample' must be a base64 string.") }
            audioSample = try Self.decodeBase64Audio(text, param: "audio_sample")
        }

        switch json["voice"] {
        case .none, .some(.null):
            voice = nil
        case .some(.string(let name)):
            guard !name.isEmpty else { throw .invalidParameter("voice", "'voice' must not be empty.") }
            voice = Self.isCustomVoiceID(name) ? .custom(id: name) : .named(name)
        case .some(let object) where object["id"] != nil:
            guard let id = object["id"]?.stringValue, !id.isEmpty else {
                throw .invalidParameter("voice", "'voice.id' must be a string.")
            }
            voice = .custom(id: id)
        default:
            throw .invalidParameter("voice", "'voice' must be a voice name or an object {\"id\": \"voice_…\"}.")
        }
        if voice == nil && audioSample == nil { throw .missingParameter("voice") }
    }

    static func decodeBase64Audio(_ text: String, param: String) throws(GatewayError) -> [UInt8] {
        try Base64Payload.decodeParameter(text, param: param, media: "audio")
    }
}
