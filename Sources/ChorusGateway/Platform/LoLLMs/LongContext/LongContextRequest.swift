import ChorusWire

/// `POST /lollms/v1/long_context_process`: `{"model"?, "text", "prompt", "max_generation_tokens"?, "stream"?}`.
struct LongContextRequest: Sendable {
    var model: String?
    var text: String
    var prompt: String
    var maxGenerationTokens: Int?
    var stream: Bool

    init(json: JSONValue) throws(GatewayError) {
        model = try json.optionalString("model")
        text = try json.requiredString("text")
        prompt = try json.requiredString("prompt")
        stream = try json.optionalBool("stream") ?? false
        if let value = json["max_generation_tokens"], !value.isNull {
            guard let tokens = value.intValue, tokens >= 1 else {
                throw .invalidParameter("max_generation_tokens", "'max_generation_tokens' must be a positive integer.")
            }
            maxGenerationTokens = tokens
        }
        guard !text.isEmpty else { throw .invalidParameter("text", "'text' is empty: there is nothing to process.") }
        guard !prompt.isEmpty else { throw .invalidParameter("prompt", "'prompt' is empty: say what to do with the text.") }
    }
}
