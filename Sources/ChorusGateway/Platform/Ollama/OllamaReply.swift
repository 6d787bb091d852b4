import ChorusWire
import Foundation

/// The objects the native routes answer: a streamed line (`done: false`), the final one (`done: true` with the
/// counts and durations), and a whole OpenAI completion read into the final one. Chat lines carry the text in
/// `message`, generate lines in `response`.
struct OllamaReply: Sendable {
    let endpoint: OllamaEndpoint
    /// The model as the caller named it.
    let model: String

    /// One piece of the answer.
    struct Piece: Sendable {
        var content = ""
        var thinking = ""
        /// Already in Ollama's shape (`arguments` an object).
        var toolCalls: [JSONValue] = []

        var isEmpty: Bool { content.isEmpty && thinking.isEmpty && toolCalls.isEmpty }
    }

    /// What the final line reports, from the upstream's `usage` and Chorus's own clock.
    struct Stats: Sendable {
        var doneReason = "stop"
        var promptTokens: Int?
        var completionTokens: Int?
        /// When the request arrived, when the provider was asked, its first piece of text, and the end.
        var received: ContinuousClock.Instant
        var asked: ContinuousClock.Instant
        var firstPiece: ContinuousClock.Instant?
        var finished: ContinuousClock.Instant?
    }

    func line(_ piece: Piece) -> JSONValue {
        var line = head()
        add(piece, to: &line)
        line.set("done", false)
        return line
    }

    func final(_ piece: Piece = Piece(), stats: Stats) -> JSONValue {
        var line = head()
        add(piece, to: &line)
        line.set("done", true)
        line.set("done_reason", .string(stats.doneReason))
        let end = stats.finished ?? .now
        let first = stats.firstPiece ?? end
        line.set("total_duration", .number(Self.nanoseconds(end - stats.received)))
        line.set("load_duration", 0)
        line.set("prompt_eval_count", .number(stats.promptTokens ?? 0))
        line.set("prompt_eval_duration", .number(Self.nanoseconds(first - stats.asked)))
        line.set("eval_count", .number(stats.completionTokens ?? 0))
        line.set("eval_duration", .number(Self.nanoseconds(end - first)))
        return line
    }

    /// A whole (non-streamed) chat completion as Ollama's one answer object.
    func final(completion: JSONValue, stats: Stats) -> JSONValue {
        var stats = stats
        let choice = completion["choices"]?.arrayValue?.first
        let message = choice?["message"]
        var piece = Piece()
        piece.content = message?["content"]?.stringValue ?? ""
        piece.thinking = Self.reasoning(in: message) ?? ""
        if let calls = message?["tool_calls"]?.arrayValue { piece.toolCalls = Self.ollamaToolCalls(calls) }
        stats.doneReason = Self.doneReason(choice?["finish_reason"]?.stringValue)
        let usage = completion["usage"]
        stats.promptTokens = usage?["prompt_tokens"]?.intValue
        stats.completionTokens = usage?["completion_tokens"]?.intValue
        return final(piece, stats: stats)
    }

    /// Ollama's only reasons are `stop`, `length` (and `load`/`unload`): a tool call or a filter ends as `stop`.
    static func doneReason(_ finishReason: String?) -> String {
        finishReason == "length" ? "length" : "stop"
    }

    /// Reasoning text as vLLM (`reasoning_content`) and others (`reasoning`) send it; Ollama calls it `thinking`.
    static func reasoning(in value: JSONValue?) -> String? {
        value?["reasoning_content"]?.stringValue ?? value?["reasoning"]?.stringValue
    }

    /// OpenAI's complete tool calls (`arguments` a JSON string) as Ollama's (`arguments` an object). Arguments that
    /// are not a JSON object are passed as the text the model wrote.
    static func ollamaToolCalls(_ calls: [JSONValue]) -> [JSONValue] {
        calls.enumerated().compactMap { index, call in
            guard let function = call["function"], let name = function["name"]?.stringValue else { return nil }
            return toolCall(id: call["id"]?.stringValue, index: index, name: name, arguments: function["arguments"]?.stringValue ?? "")
        }
    }

    static func toolCall(id: String?, index: Int, name: String, arguments: String) -> JSONValue {
        let trimmed = arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed: JSONValue
        if trimmed.isEmpty {
            parsed = .object([])
        } else if let value = try? JSONParser.parse(Array(trimmed.utf8)), case .object = value {
            parsed = value
        } else {
            parsed = .string(arguments)
        }
        var call: JSONValue = ["function": ["index": .number(index), "name": .string(name), "arguments": parsed]]
        if let id { call.set("id", .string(id)) }
        return call
    }

    private func head() -> JSONValue {
        ["model": .string(model), "created_at": .string(Self.timestamp(Date()))]
    }

    private func add(_ piece: Piece, to line: inout JSONValue) {
        switch endpoint {
        case .chat:
            var message: JSONValue = ["role": "assistant", "content": .string(piece.content)]
            if !piece.thinking.isEmpty { message.set("thinking", .string(piece.thinking)) }
            if !piece.toolCalls.isEmpty { message.set("tool_calls", .array(piece.toolCalls)) }
            line.set("message", message)
        case .generate:
            line.set("response", .string(piece.content))
            if !piece.thinking.isEmpty { line.set("thinking", .string(piece.thinking)) }
        }
    }

    /// RFC 3339 in UTC with fractional seconds, as Ollama writes `created_at`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
