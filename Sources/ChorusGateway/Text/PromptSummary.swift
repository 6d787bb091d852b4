import ChorusWire

/// The short text a usage row keeps of a request: the last user message, the prompt, the input.
enum PromptSummary {
    static func text(for json: JSONValue, route: TextRoute) -> String? {
        let text: String?
        switch route {
        case .chat:
            text = json["messages"]?.arrayValue?.last { $0["role"]?.stringValue == "user" }.flatMap { contentText($0["content"]) }
        case .completions:
            text = json["prompt"].flatMap(firstText)
        case .embeddings:
            text = json["input"].flatMap(firstText)
        case .rerank:
            text = json["query"]?.stringValue
        }
        return text.map(UsageRecord.summarize)
    }

    static func contentText(_ content: JSONValue?) -> String? {
        guard let content else { return nil }
        if let string = content.stringValue { return string }
        let parts = content.arrayValue?.compactMap { part in part["type"]?.stringValue == "text" ? part["text"]?.stringValue : nil }
        return parts.flatMap { $0.isEmpty ? nil : $0.joined(separator: " ") }
    }

    static func firstText(_ value: JSONValue) -> String? {
        if let string = value.stringValue { return string }
        return value.arrayValue?.first?.stringValue
    }
}
