import ChorusWire
import NIOCore

/// A pass-through text route's body: what the route reads of it (the model asked for, whether it streams, the
/// prompt the usage row summarizes) and the bytes that go upstream unchanged.
///
/// The body is checked and its top-level members found in one pass that builds no values (`JSONObjectScan`); only
/// the few members read are parsed. The whole body is parsed when the pass cannot vouch for it (the parser then
/// gives its exact error), when the route reads more of it (rerank's checks, a chat asking for an image) and,
/// later, when the provider has to rewrite it (`TextCall.json()`).
struct TextRequestBody: Sendable {
    let bytes: ByteBuffer
    let model: String
    let stream: Bool
    let promptSummary: String?
    /// The whole body, when it was parsed.
    let parsed: JSONValue?

    /// The provider call that forwards this body.
    func call(_ route: TextRoute) -> TextCall {
        TextCall(route: route, body: bytes, model: model, stream: stream, parsed: parsed)
    }

    init(_ bytes: ByteBuffer, route: TextRoute) throws(GatewayError) {
        self.bytes = bytes
        if let read = Self.readMembers(bytes, route: route) {
            // The members read, as a small object of their own: the same checks and summary as a whole parse.
            model = try read.requiredString("model")
            stream = try read.optionalBool("stream") ?? false
            promptSummary = PromptSummary.text(for: read, route: route)
            parsed = nil
        } else {
            let json = try JSONValue.object(from: bytes)
            model = try json.requiredString("model")
            stream = try json.optionalBool("stream") ?? false
            promptSummary = PromptSummary.text(for: json, route: route)
            parsed = json
        }
    }

    /// `model`, `stream` and what `PromptSummary` reads for `route`, parsed from their own bytes; nil when the
    /// whole body has to be parsed instead.
    private static func readMembers(_ bytes: ByteBuffer, route: TextRoute) -> JSONValue? {
        guard route != .rerank else { return nil }
        return bytes.withUnsafeReadableBytes { raw -> JSONValue? in
            guard let scan = JSONObjectScan.scan(raw) else { return nil }
            if route == .chat, scan.value("image_config", in: raw) != nil || scan.value("modalities", in: raw) != nil {
                return nil
            }
            func parse(_ range: Range<Int>) -> JSONValue? { try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[range])) }
            var members: [(String, JSONValue)] = []
            for key: StaticString in ["model", "stream"] {
                guard let range = scan.value(key, in: raw) else { continue }
                guard let value = parse(range) else { return nil }
                members.append(("\(key)", value))
            }
            switch route {
            case .chat:
                guard let range = scan.value("messages", in: raw) else { break }
                // Messages from the last back to the last one from the user (usually the last one of all).
                for element in JSONObjectScan.elements(ofArray: range, in: raw).reversed() {
                    guard let message = parse(element) else { return nil }
                    if message["role"]?.stringValue == "user" {
                        members.append(("messages", .array([message])))
                        break
                    }
                }
            case .completions, .embeddings:
                let key: StaticString = route == .completions ? "prompt" : "input"
                guard let range = scan.value(key, in: raw) else { break }
                // A list is summarized by its first entry: parse only that.
                if raw[range.lowerBound] == UInt8(ascii: "["), let first = JSONObjectScan.elements(ofArray: range, in: raw).first {
                    guard let item = parse(first) else { return nil }
                    members.append(("\(key)", .array([item])))
                } else {
                    guard let value = parse(range) else { return nil }
                    members.append(("\(key)", value))
                }
            case .rerank:
                return nil
            }
            return .object(members)
        }
    }
}
