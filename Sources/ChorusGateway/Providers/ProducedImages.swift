import ChorusUpstream
import ChorusWire

/// What a provider answered to an image job, before Chorus shapes it for the caller.
struct ProducedImages: Sendable {
    enum Item: Sendable {
        case bytes([UInt8])
        case url(String)
    }

    var items: [(item: Item, revisedPrompt: String?)] = []
    /// The provider's `usage` object, when it sent one (gpt-image models report tokens).
    var usage: JSONValue?
    /// Other top-level members worth keeping (`background`, `quality`, `size`, `output_format`).
    var echoed: [(String, JSONValue)] = []
}


extension ProducedImages {
    /// Reads OpenAI's image answer: `{created, data: [{b64_json | url, revised_prompt}], usage, ...}`.
    static func parseOpenAI(_ json: JSONValue, provider: String) throws(GatewayError) -> ProducedImages {
        guard let data = json["data"]?.arrayValue else {
            throw .upstreamFailed(provider: provider, "the image answer has no 'data' list")
        }
        var produced = ProducedImages()
        for entry in data {
            let revised = entry["revised_prompt"]?.stringValue
            if let b64 = entry["b64_json"]?.stringValue {
                guard let bytes = try? Base64Payload.decode(b64, param: "b64_json", media: "image") else {
                    throw .upstreamFailed(provider: provider, "the image answer holds invalid base64")
                }
                produced.items.append((.bytes(bytes), revised))
            } else if let url = entry["url"]?.stringValue {
                produced.items.append((.url(url), revised))
            } else {
                throw .upstreamFailed(provider: provider, "an image in the answer has neither 'b64_json' nor 'url'")
            }
        }
        if let usage = json["usage"], !usage.isNull { produced.usage = usage }
        for key in ["background", "quality", "size", "output_format"] {
            if let value = json[key], !value.isNull { produced.echoed.append((key, value)) }
        }
        return produced
    }
}
