import ChorusWire

/// Reads an OpenAI chat stream event by event (each event's `data`) into the pieces of Ollama's NDJSON answer.
/// Text and reasoning pass on at once; tool calls, which OpenAI streams in fragments keyed by index, are
/// gathered and passed on whole when the choice finishes (Ollama sends each call complete). It keeps the finish
/// reason and the `usage` for the final line. A value type with no I/O, fed by `OllamaStream`.
struct OllamaChunkTranslator {
    enum Output {
        case piece(OllamaReply.Piece)
        /// The provider reported an error inside its stream.
        case failed(String)
    }

    private struct PendingCall {
        var id: String?
        var name = ""
        var arguments = ""
    }

    private var calls: [Int: PendingCall] = [:]
    private(set) var finishReason: String?
    private(set) var promptTokens: Int?
    private(set) var completionTokens: Int?
    private(set) var totalTokens: Int?

    /// What one event adds to the answer: nil when nothing (the role-only first chunk, the usage chunk, `[DONE]`).
    mutating func consume(_ data: String) -> Output? {
        guard data != "[DONE]", let event = try? JSONParser.parse(Array(data.utf8)) else { return nil }
        if let error = event["error"], !error.isNull {
            return .failed(error["message"]?.stringValue ?? error.stringValue ?? "the provider reported an error mid-stream")
        }
        if let usage = event["usage"], !usage.isNull {
            promptTokens = usage["prompt_tokens"]?.intValue ?? promptTokens
            completionTokens = usage["completion_tokens"]?.intValue ?? completionTokens
            totalTokens = usage["total_tokens"]?.intValue ?? totalTokens
        }
        guard let choice = event["choices"]?.arrayValue?.first else { return nil }
        var piece = OllamaReply.Piece()
        let delta = choice["delta"]
        piece.content = delta?["content"]?.stringValue ?? ""
        piece.thinking = OllamaReply.reasoning(in: delta) ?? ""
        for (position, fragment) in (delta?["tool_calls"]?.arrayValue ?? []).enumerated() {
            let index = fragment["index"]?.intValue ?? position
            var call = calls[index] ?? PendingCall()
            if let id = fragment["id"]?.stringValue { call.id = id }
            if let name = fragment["function"]?["name"]?.stringValue { call.name += name }
            if let arguments = fragment["function"]?["arguments"]?.stringValue { call.arguments += arguments }
            calls[index] = call
        }
        if let reason = choice["finish_reason"]?.stringValue {
            finishReason = reason
            piece.toolCalls = takeCalls()
        }
        return piece.isEmpty ? nil : .piece(piece)
    }

    /// Calls still open when the stream ended without a finish reason.
    mutating func takeCalls() -> [JSONValue] {
        defer { calls = [:] }
        return calls.keys.sorted().enumerated().compactMap { position, key in
            guard let call = calls[key], !call.name.isEmpty else { return nil }
            return OllamaReply.toolCall(id: call.id, index: position, name: call.name, arguments: call.arguments)
        }
    }
}
