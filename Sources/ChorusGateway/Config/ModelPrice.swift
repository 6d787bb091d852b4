/// What one call to a model costs, in points (`models[].price`). Every part is optional and they add up: a chat
/// call priced per request and per token pays both.
public struct ModelPrice: Sendable, Equatable {
    public var perRequest = 0.0
    public var per1kInputTokens = 0.0
    public var per1kOutputTokens = 0.0
    /// Speech: characters of `input`.
    public var per1kCharacters = 0.0
    /// Transcriptions and translations: the decoded length of the upload, not its size.
    public var perAudioMinute = 0.0
    public var perImage = 0.0
    /// Points held while a call whose cost is known only at its end (tokens, audio) runs, on top of `per_request`.
    /// A key's balance must cover it to be admitted; the call is then settled to its actual cost.
    public var reserve = 0.0

    public init() {}

    public static let keys = [
        "per_request", "per_1k_input_tokens", "per_1k_output_tokens", "per_1k_characters", "per_audio_minute", "per_image",
        "reserve",
    ]

    public subscript(key: String) -> Double {
        get {
            switch key {
            case "per_request": perRequest
            case "per_1k_input_tokens": per1kInputTokens
            case "per_1k_output_tokens": per1kOutputTokens
            case "per_1k_characters": per1kCharacters
            case "per_audio_minute": perAudioMinute
            case "per_image": perImage
            case "reserve": reserve
            default: 0
            }
        }
        set {
            switch key {
            case "per_request": perRequest = newValue
            case "per_1k_input_tokens": per1kInputTokens = newValue
            case "per_1k_output_tokens": per1kOutputTokens = newValue
            case "per_1k_characters": per1kCharacters = newValue
            case "per_audio_minute": perAudioMinute = newValue
            case "per_image": perImage = newValue
            case "reserve": reserve = newValue
            default: break
            }
        }
    }

    /// Held at admission: the part known before the call runs.
    public var estimate: Double { perRequest + reserve }
}
