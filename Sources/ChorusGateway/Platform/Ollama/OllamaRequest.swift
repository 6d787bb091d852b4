import ChorusWire

/// The two native routes that run a model: they differ in what they are sent and in how each answer line carries
/// the text (`message` or `response`).
enum OllamaEndpoint: Sendable {
    case chat
    case generate
}

/// An Ollama `/api/chat` or `/api/generate` body, read into the OpenAI chat-completions request Chorus sends
/// upstream (through the model's text facet, like `/v1/chat/completions`). Bad fields are 400s naming them.
struct OllamaRequest: Sendable {
    let endpoint: OllamaEndpoint
    /// The name as the caller wrote it (echoed in every answer line).
    let model: String
    /// Ollama streams unless told `"stream": false`.
    let stream: Bool
    /// No messages (chat) or no prompt (generate): Ollama's way to load a model. Answered `done_reason: "load"`
    /// without asking the provider.
    let loadOnly: Bool
    /// The chat-completions body; its `model` is the caller's name (the transport rewrites it for the provider).
    let chat: JSONValue

    init(_ json: JSONValue, endpoint: OllamaEndpoint) throws(GatewayError) {
        self.endpoint = endpoint
        model = try json.requiredString("model")
        guard !model.isEmpty else { throw .missingParameter("model") }
        stream = try json.optionalBool("stream") ?? true

        let messages: [JSONValue]
        switch endpoint {
        case .chat:
            messages = try Self.chatMessages(json["messages"])
        case .generate:
            messages = try Self.generateMessages(json)
        }
        loadOnly = messages.isEmpty

        var chat: JSONValue = ["model": .string(model), "messages": .array(messages)]
        try Self.addOptions(json["options"], to: &chat)
        if let format = try Self.responseFormat(json["format"]) { chat.set("response_format", format) }
        if endpoint == .chat, let tools = json["tools"], !tools.isNull {
            // Ollama's tool definitions are OpenAI's (`{"type": "function", "function": {name, description, parameters}}`).
            guard case .array(let list) = tools else { throw .invalidParameter("tools", "'tools' must be an array.") }
            if !list.isEmpty { chat.set("tools", tools) }
        }
        chat.set("stream", .bool(stream))
        // The final NDJSON line reports token counts; an OpenAI stream carries them only when asked.
        if stream { chat.set("stream_options", ["include_usage": true]) }
        self.chat = chat
    }

    // MARK: messages

    private static func chatMessages(_ value: JSONValue?) throws(GatewayError) -> [JSONValue] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let list) = value else { throw .invalidParameter("messages", "'messages' must be an array.") }
        var calls = ToolCallIDs()
        var messages: [JSONValue] = []
        messages.reserveCapacity(list.count)
        for (index, message) in list.enumerated() {
            messages.append(try chatMessage(message, param: "messages[\(index)]", calls: &calls))
        }
        return messages
    }

    private static func chatMessage(_ message: JSONValue, param: String, calls: inout ToolCallIDs) throws(GatewayError) -> JSONValue {
        guard case .object = message else { throw .invalidParameter(param, "'\(param)' must be an object.") }
        guard let role = message["role"]?.stringValue, !role.isEmpty else { throw .missingParameter("\(param).role") }
        let content = try text(message["content"], param: "\(param).content")
        var out: JSONValue = ["role": .string(role)]
        out.set("content", try withImages(content, message["images"], param: "\(param).images"))
        if role == "assistant", let toolCalls = message["tool_calls"], !toolCalls.isNull {
            out.set("tool_calls", try openAIToolCalls(toolCalls, param: "\(param).tool_calls", calls: &calls))
        }
        if role == "tool" {
            // OpenAI ties a tool result to its call by id; Ollama by the tool's name (or order).
            let id = message["tool_call_id"]?.stringValue ?? calls.answer(name: message["tool_name"]?.stringValue)
            if let id { out.set("tool_call_id", .string(id)) }
        }
        return out
    }

    private static func generateMessages(_ json: JSONValue) throws(GatewayError) -> [JSONValue] {
        let prompt = try json.optionalString("prompt") ?? ""
        guard !prompt.isEmpty else { return [] }
        var messages: [JSONValue] = []
        if let system = try json.optionalString("system"), !system.isEmpty {
            messages.append(["role": "system", "content": .string(system)])
        }
        messages.append(["role": "user", "content": try withImages(prompt, json["images"], param: "images")])
        return messages
    }

    private static func text(_ value: JSONValue?, param: String) throws(GatewayError) -> String {
        guard let value, !value.isNull else { return "" }
        guard let text = value.stringValue else { throw .invalidParameter(param, "'\(param)' must be a string.") }
        return text
    }

    /// Ollama sends images as bare base64 beside the text; OpenAI as `image_url` parts with data URLs.
    private static func withImages(_ text: String, _ images: JSONValue?, param: String) throws(GatewayError) -> JSONValue {
        guard let images, !images.isNull else { return .string(text) }
        guard case .array(let list) = images else { throw .invalidParameter(param, "'\(param)' must be an array of base64 strings.") }
        guard !list.isEmpty else { return .string(text) }
        var parts: [JSONValue] = []
        if !text.isEmpty { parts.append(["type": "text", "text": .string(text)]) }
        for (index, image) in list.enumerated() {
            let url = try OllamaImage.dataURL(image, param: "\(param)[\(index)]")
            parts.append(["type": "image_url", "image_url": ["url": .string(url)]])
        }
        return .array(parts)
    }

    /// Ollama's calls carry `arguments` as an object; OpenAI's as a JSON string, each with an id.
    private static func openAIToolCalls(_ value: JSONValue, param: String, calls: inout ToolCallIDs) throws(GatewayError) -> JSONValue {
        guard case .array(let list) = value else { throw .invalidParameter(param, "'\(param)' must be an array.") }
        var out: [JSONValue] = []
        for (index, call) in list.enumerated() {
            guard let function = call["function"], let name = function["name"]?.stringValue else {
                throw .invalidParameter("\(param)[\(index)]", "'\(param)[\(index)]' needs a function with a name.")
            }
            let arguments: String
            switch function["arguments"] {
            case nil, .null?: arguments = "{}"
            case .string(let text)?: arguments = text
            case let value?: arguments = value.jsonString
            }
            let id = calls.call(name: name, id: call["id"]?.stringValue)
            out.append(["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]])
        }
        return .array(out)
    }

    // MARK: options and format

    /// Ollama's sampling options that have an OpenAI field. The rest (`num_ctx`, `num_gpu`, `mirostat`, `top_k`, …)
    /// are the runtime's own knobs, with no field OpenAI-compatible servers all accept: they are left out.
    private static func addOptions(_ value: JSONValue?, to chat: inout JSONValue) throws(GatewayError) {
        guard let value, !value.isNull else { return }
        guard case .object = value else { throw .invalidParameter("options", "'options' must be an object.") }
        for (name, field) in [("temperature", "temperature"), ("top_p", "top_p"), ("presence_penalty", "presence_penalty"),
                              ("frequency_penalty", "frequency_penalty")] {
            guard let option = value[name], !option.isNull else { continue }
            guard case .number = option else { throw .invalidParameter("options.\(name)", "'options.\(name)' must be a number.") }
            chat.set(field, option)
        }
        if let seed = value["seed"], !seed.isNull {
            guard seed.intValue != nil else { throw .invalidParameter("options.seed", "'options.seed' must be an integer.") }
            chat.set("seed", seed)
        }
        if let predict = value["num_predict"], !predict.isNull {
            guard let count = predict.intValue else {
                throw .invalidParameter("options.num_predict", "'options.num_predict' must be an integer.")
            }
            // -1 (no limit) and -2 (fill the context) have no OpenAI equivalent but leaving the limit out.
            if count > 0 { chat.set("max_tokens", .number(count)) }
        }
        if let stop = value["stop"], !stop.isNull {
            switch stop {
            case .string:
                chat.set("stop", [stop])
            case .array(let list) where list.allSatisfy({ $0.stringValue != nil }):
                if !list.isEmpty { chat.set("stop", stop) }
            default:
                throw .invalidParameter("options.stop", "'options.stop' must be a list of strings.")
            }
        }
    }

    /// `"json"` is OpenAI's JSON mode; a JSON schema becomes a `json_schema` response format.
    private static func responseFormat(_ value: JSONValue?) throws(GatewayError) -> JSONValue? {
        switch value {
        case nil, .null?, .string("")?:
            return nil
        case .string("json")?:
            return ["type": "json_object"]
        case .object(let members)? where !members.isEmpty:
            return ["type": "json_schema", "json_schema": ["name": "response", "schema": .object(members)]]
        default:
            throw .invalidParameter("format", "'format' must be \"json\" or a JSON schema object.")
        }
    }
}

/// Ids for the tool calls of an Ollama conversation, which has none: each call gets one (or keeps the one the
/// client sent), and each tool result is matched to the oldest unanswered call of its tool (or simply the oldest).
private struct ToolCallIDs {
    private var next = 0
    private var open: [(id: String, name: String)] = []

    mutating func call(name: String, id: String?) -> String {
        let id = id ?? "call_\(next)"
        next += 1
        open.append((id, name))
        return id
    }

    mutating func answer(name: String?) -> String? {
        let index = name.flatMap { name in open.firstIndex { $0.name == name } } ?? open.indices.first
        guard let index else { return nil }
        return open.remove(at: index).id
    }
}
