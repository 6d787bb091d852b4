import ChorusUpstream
import Hummingbird
import NIOCore

/// `POST /chat/completions`, `/completions`, `/embeddings`: authenticate, resolve, adapt, forward, pass the
/// upstream's answer through byte for byte.
struct TextRoutes: Sendable {
    let services: GatewayServices
    /// Chat requests asking an image model for `modalities: ["image"]` go here instead of upstream chat.
    var chatImages: ChatImageDispatch?

    enum Route: String, Sendable {
        case chat = "/chat/completions"
        case completions = "/completions"
        case embeddings = "/embeddings"

        var capability: Capability {
            switch self {
            case .chat: .chat
            case .completions: .completions
            case .embeddings: .embeddings
            }
        }
    }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        for route in [Route.chat, .completions, .embeddings] {
            group.post(RouterPath(stringLiteral: String(route.rawValue.dropFirst()))) { request, context in
                try await proxy(request, context: context, route: route)
            }
        }
    }

    func proxy(_ request: Request, context: GatewayRequestContext, route: Route) async throws -> Response {
        let trace = services.trace(route: route.rawValue)
        return try await trace.run {
            let caller = try await services.authenticate(request, trace: trace)
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
            // Checked here, before the async call: an ordinary chat request then never allocates the image path's
            // task frame (~6.6 KB, kept by the connection's task for as long as its answer streams).
            if route == .chat, let chatImages, ChatImageDispatch.asksForImage(json),
               let response = try await chatImages.respond(json: json, modelName: modelName, stream: stream, caller: caller,
                                                           request: request, trace: trace) {
                return response
            }
            let model = try services.catalog.resolve(modelName, for: caller, capability: route.capability)
            trace.update { $0.provider = model.provider.name }
            guard model.provider.type == .openai else {
                throw GatewayError.notImplemented(
                    "Provider '\(model.provider.name)' (\(model.provider.type.rawValue)) does not offer \(route.capability).",
                    param: "model")
            }
            let adapter = OpenAICompatibleAdapter(provider: model.provider)
            let upstreamRequest = adapter.jsonRequest(
                path: route.rawValue, body: adapter.body(original: body, parsed: json, model: model), stream: stream)
            let upstream = try await services.execute(upstreamRequest, provider: model.provider.name)
            return try await UpstreamPassthrough(services: services, trace: trace)
                .response(for: upstream, request: request, watchClientClose: stream)
        }
    }
}

extension GatewayServices {
    /// Sends a request upstream and maps transport failures to the documented statuses (502, 504).
    func execute(_ request: UpstreamRequest, provider: String) async throws(GatewayError) -> UpstreamResponse {
        do {
            return try await upstream.execute(request)
        } catch let error as UpstreamError {
            metrics.upstreamError(provider: provider, kind: "\(error.kind)")
            throw GatewayError(upstream: error, provider: provider)
        } catch is CancellationError {
            throw GatewayError.upstreamFailed(provider: provider, "the request was cancelled")
        } catch {
            metrics.upstreamError(provider: provider, kind: "other")
            throw .upstreamFailed(provider: provider, "\(error)")
        }
    }
}

extension GatewayError {
    init(upstream error: UpstreamError, provider: String) {
        switch error.kind {
        case .connectFailed: self = .upstreamUnreachable(provider: provider, error.message)
        case .timedOut: self = .upstreamTimeout(provider: provider)
        default: self = .upstreamFailed(provider: provider, error.message)
        }
    }
}
