import ChorusWire
import Hummingbird

/// `POST /lollms/v1/tokenize` `{model, text}` → `{tokens, count}` and `POST /lollms/v1/detokenize` `{model, tokens}`
/// → `{text}`: the model's own tokenizer, on its server (`TokenizerProvider`). Free: the row names the model and
/// no cost, and no points are held.
struct TokenizeRoutes: Sendable {
    let services: GatewayServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("tokenize") { request, context in
            try await call(request, context: context) { tokenizer, json, model throws(GatewayError) in
                let text = try json.requiredString("text")
                let tokens = try await tokenizer.tokenize(text, model: model.config)
                return ["tokens": .array(tokens.map { .number($0) }), "count": .number(tokens.count)]
            }
        }
        group.post("detokenize") { request, context in
            try await call(request, context: context) { tokenizer, json, model throws(GatewayError) in
                let text = try await tokenizer.detokenize(try Self.tokens(json), model: model.config)
                return ["text": .string(text)]
            }
        }
    }

    /// `tokens`: a list of non-negative integers, or 400 naming the first entry that is not one.
    static func tokens(_ json: JSONValue) throws(GatewayError) -> [Int] {
        guard let value = json["tokens"], !value.isNull else { throw .missingParameter("tokens") }
        guard let items = value.arrayValue else { throw .invalidParameter("tokens", "'tokens' must be a list of integers.") }
        var tokens: [Int] = []
        tokens.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let token = item.intValue, token >= 0 else {
                throw .invalidParameter("tokens[\(index)]", "'tokens[\(index)]' must be a non-negative integer.")
            }
            tokens.append(token)
        }
        return tokens
    }

    private func call(_ request: Request, context: GatewayRequestContext,
                      _ work: @escaping @Sendable (any TokenizerProvider, JSONValue, ResolvedModel) async throws(GatewayError) -> JSONValue) async throws -> Response {
        var request = request
        return try await services.jsonRoute(context) { caller, trace in
            trace.markUnpriced()
            let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
            let name = try json.requiredString("model")
            trace.update { $0.model = name }
            let model = try services.catalog.resolve(name, for: caller, capability: .tokenize, trace: trace)
            trace.update { $0.provider = model.providerName }
            guard let tokenizer = model.provider.tokenizer else { throw model.provider.missing(.tokenize) }
            return try await work(tokenizer, json, model)
        }
    }
}
