import Hummingbird
import NIOCore

/// `POST /chat/completions`, `/completions`, `/embeddings`, `/rerank`: resolve the model, hand the caller's JSON to
/// the provider's text facet, pass its answer through byte for byte.
struct TextRoutes: Sendable {
    let services: GatewayServices
    /// Chat requests asking an image model for `modalities: ["image"]` go here instead of upstream chat.
    var chatImages: ChatImageDispatch?

    func register(on group: RouterGroup<GatewayRequestContext>) {
        for route in TextRoute.allCases {
            group.post(RouterPath(stringLiteral: String(route.rawValue.dropFirst()))) { request, context in
                try await proxy(request, context: context, route: route)
            }
        }
    }

    func proxy(_ request: Request, context: GatewayRequestContext, route: TextRoute) async throws -> Response {
        let trace = try context.requireTrace()
        var request = request
        let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
        let json = try services.parseJSONObject(body)
        let modelName = try json.requiredString("model")
        let stream = try json.optionalBool("stream") ?? false
        trace.update {
            $0.model = modelName
            $0.stream = stream
            $0.promptSummary = PromptSummary.text(for: json, route: route)
        }
        if route == .rerank { try RerankRequest.check(json, maxDocuments: services.config.server.maxRerankDocuments) }
        let caller = try context.requireCaller()
        // Checked here, before the async call: an ordinary chat request then never allocates the image path's
        // task frame (~6.6 KB, kept by the connection's task for as long as its answer streams).
        if route == .chat, let chatImages, ChatImageDispatch.asksForImage(json),
           let response = try await chatImages.respond(json: json, modelName: modelName, stream: stream, caller: caller,
                                                       trace: trace) {
            return response
        }
        let model = try services.catalog.resolve(modelName, for: caller, capability: route.capability, trace: trace)
        let call = TextCall(route: route, body: body, json: json, stream: stream)
        let (upstream, _) = try await services.failover.run(model, caller: caller, capability: route.capability, trace: trace) {
            model throws(GatewayError) in
            guard let provider = model.provider.text else { throw model.provider.missing(route.capability) }
            return try await provider.send(call, model: model.config)
        }
        return try await UpstreamPassthrough(trace: trace).response(for: upstream, connection: context.connection, watchClientClose: stream)
    }
}
