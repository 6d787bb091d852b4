import ChorusUpstream
import ChorusWire
import NIOCore

/// The tokenizer endpoints of vLLM and the llama.cpp server, beside their `/v1` (`serverRoot`): the body shape is
/// the provider's `tokenizer` setting; answers of either shape are read.
extension OpenAICompatibleProvider: TokenizerProvider {
    func tokenize(_ text: String, model: ModelConfig) async throws(GatewayError) -> [Int] {
        let body: JSONValue = switch config.tokenizer {
        case .vllm: ["model": .string(model.model), "prompt": .string(text)]
        case .llamacpp: ["content": .string(text)]
        }
        let answer = try await call(config.tokenizePath, body: body)
        guard let items = answer["tokens"]?.arrayValue else {
            throw .upstreamFailed(provider: config.name, "the tokenize answer has no 'tokens' list")
        }
        var tokens: [Int] = []
        tokens.reserveCapacity(items.count)
        for item in items {
            // llama.cpp's `with_pieces` form: {"id": 123, "piece": "…"}.
            guard let token = item.intValue ?? item["id"]?.intValue else {
                throw .upstreamFailed(provider: config.name, "the tokenize answer holds a token that is not an integer")
            }
            tokens.append(token)
        }
        return tokens
    }

    func detokenize(_ tokens: [Int], model: ModelConfig) async throws(GatewayError) -> String {
        let list = JSONValue.array(tokens.map { .number($0) })
        let body: JSONValue = switch config.tokenizer {
        case .vllm: ["model": .string(model.model), "tokens": list]
        case .llamacpp: ["tokens": list]
        }
        let answer = try await call(config.detokenizePath, body: body)
        guard let text = answer["prompt"]?.stringValue ?? answer["content"]?.stringValue else {
            throw .upstreamFailed(provider: config.name, "the detokenize answer has no 'prompt' or 'content'")
        }
        return text
    }

    /// A server without the endpoint (404, 405) does not offer it: 501. Another failure is the provider's: 502.
    private func call(_ path: String, body: JSONValue) async throws(GatewayError) -> JSONValue {
        let request = transport.post(url: config.serverRoot + path, contentType: "application/json", accept: "application/json",
                                     body: .bytes(ByteBuffer(bytes: body.serialized())), stream: false)
        let response = try await transport.execute(request)
        switch response.status {
        case 200..<300:
            return try await transport.collectJSON(response, limit: transport.maxAnswerBytes, what: "tokenizer answer")
        case 404, 405:
            throw .notImplemented("Provider '\(config.name)' has no tokenizer at \(path).", param: "model")
        default:
            throw .upstreamFailed(provider: config.name, "\(path) answered HTTP \(response.status)")
        }
    }
}
