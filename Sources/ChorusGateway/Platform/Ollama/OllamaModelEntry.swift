import ChorusWire
import Crypto
import Foundation

/// A configured model as Ollama's `/api/tags` and `/api/show` describe one. Chorus has no weights to report:
/// `size` is 0, the details are empty, and the digest is a stable hash of where the model runs (provider and
/// upstream name), so a client that caches by digest sees a change when the config moves the model.
struct OllamaModelEntry: Sendable {
    let model: ResolvedModel
    /// When the config was loaded: Chorus's `modified_at`.
    let modified: Date

    var tag: JSONValue {
        [
            "name": .string(model.name), "model": .string(model.name),
            "modified_at": .string(OllamaReply.timestamp(modified)), "size": 0,
            "digest": .string(digest), "details": details,
        ]
    }

    /// `/api/show`: no modelfile or template (the provider owns those); the context length under
    /// `chorus.context_length` with `general.architecture: chorus`, where clients look for `<arch>.context_length`.
    var show: JSONValue {
        var info: JSONValue = [:]
        if let context = model.config.contextLength {
            info = ["general.architecture": "chorus", "chorus.context_length": .number(context)]
        }
        var capabilities: [JSONValue] = []
        if model.supports(.chat) { capabilities.append("completion") }
        if model.supports(.embeddings) { capabilities.append("embedding") }
        return [
            "modelfile": "", "parameters": "", "template": "", "details": details, "model_info": info,
            "capabilities": .array(capabilities), "modified_at": .string(OllamaReply.timestamp(modified)),
        ]
    }

    private var details: JSONValue {
        ["parent_model": "", "format": "", "family": "", "families": nil, "parameter_size": "", "quantization_level": ""]
    }

    private var digest: String {
        Hex.encode(SHA256.hash(data: Array("\(model.providerName)/\(model.upstreamModel)".utf8)))
    }
}
