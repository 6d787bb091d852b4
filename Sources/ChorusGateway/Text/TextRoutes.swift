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
        let text = try TextRequestBody(body, route: route)
        trace.update {
            $0.model = text.model
            $0.stream = text.stream
            $0.promptSummary = text.promptSummary
        }
        if route == .rerank, let json = text.parsed {
            try RerankRequest.check(json, maxDocuments: services.config.server.maxRerankDocuments)
        }
        let caller = try context.requireCaller()
        // Checked here, before the async call: an ordinary chat request then never allocates the image path's
        // task frame (~6.6 KB, kept by the connection's task for as long as its answer streams). A body asking for
        // an image is always parsed whole (TextRequestBody).
        if route == .chat, let chatImages, let json = text.parsed, ChatImageDispatch.asksForImage(json),
           let response = try await chatImages.respond(json: json, modelName: text.model, stream: text.stream, caller: caller,
                                                       trace: trace) {
            return response
        }
        let model = try services.catalog.resolve(text.model, for: caller, capability: route.capability, trace: trace)
        let call = text.call(route)
        let (upstream, _) = try await services.failover.run(model, caller: caller, capability: route.capability, trace: trace) {
            model throws(GatewayError) in
            guard let provider = model.provider.text else { throw model.provider.missing(route.capability) }
            return try await provider.send(call, model: model.config)
        }
        return try await UpstreamPassthrough(trace: trace).response(for: upstream, connection: context.connection, watchClientClose: text.stream)
    }
}
