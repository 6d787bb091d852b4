import ChorusUpstream
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// Ollama's native API (`/api/tags`, `/api/chat`, `/api/generate`, `/api/version`, `/api/show`), so Ollama's
/// clients can use Chorus. Chat and generate become an OpenAI chat-completions call through the model's text
/// facet — the same resolution, failover, limits and usage row as `/v1/chat/completions` — and the answer is
/// translated back: NDJSON lines as the upstream's SSE arrives, or one object. Errors are Ollama's
/// `{"error": "…"}` (`OllamaErrorStyle`, set on the group).
struct OllamaRoutes: Sendable {
    let services: GatewayServices
    /// The Ollama API level these routes follow (what `/api/version` answers; clients compare it for features).
    static let apiVersion = "0.9.0"
    /// Ollama reports when a model was pulled; Chorus when its config was loaded.
    let loaded = Date()

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("tags") { _, context in try await tags(context) }
        group.get("version") { _, context in
            try await services.jsonRoute(context) { _, _ in ["version": .string(Self.apiVersion)] }
        }
        group.post("show") { request, context in try await show(request, context: context) }
        group.post("chat") { request, context in try await run(request, context: context, endpoint: .chat) }
        group.post("generate") { request, context in try await run(request, context: context, endpoint: .generate) }
    }

    /// The chat models the key may use.
    func tags(_ context: GatewayRequestContext) async throws -> Response {
        try await services.jsonRoute(context) { caller, _ in
            let models = services.catalog.all.filter { caller.allows(model: $0.name) && $0.supports(.chat) }
            return ["models": .array(models.map { OllamaModelEntry(model: $0, modified: loaded).tag })]
        }
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        var request = request
        let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
        // Older clients send `name`.
        let name = try json.optionalString("model") ?? json.optionalString("name") ?? ""
        guard !name.isEmpty else { throw GatewayError.missingParameter("model") }
        return try await services.jsonRoute(context) { caller, trace in
            trace.update { $0.model = name }
            // A model the key may not use reads like an unknown one, as on `/v1/models/{id}`.
            guard let model = resolve(name), caller.allows(model: model.name) else { throw GatewayError.modelNotFound(name) }
            return OllamaModelEntry(model: model, modified: loaded).show
        }
    }

    /// `/api/chat` and `/api/generate`.
    func run(_ request: Request, context: GatewayRequestContext, endpoint: OllamaEndpoint) async throws -> Response {
        let received = ContinuousClock.now
        let trace = try context.requireTrace()
        var request = request
        let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
        let ollama = try OllamaRequest(try services.parseJSONObject(body), endpoint: endpoint)
        trace.update {
            $0.model = ollama.model
            $0.stream = ollama.stream
            $0.promptSummary = PromptSummary.text(for: ollama.chat, route: .chat)
        }
        let caller = try context.requireCaller()
        let name = resolve(ollama.model)?.name ?? ollama.model
        let model = try services.catalog.resolve(name, for: caller, capability: .chat, trace: trace)
        let reply = OllamaReply(endpoint: endpoint, model: ollama.model)
        var stats = OllamaReply.Stats(received: received, asked: .now)
        if ollama.loadOnly {
            stats.doneReason = "load"
            trace.finishWhole(status: 200)
            return answer(reply.final(stats: stats), stream: ollama.stream)
        }

        let call = TextCall(route: .chat, json: ollama.chat, stream: ollama.stream)
        stats.asked = .now
        let (upstream, _) = try await services.failover.run(model, caller: caller, capability: .chat, trace: trace) {
            model throws(GatewayError) in
            guard let provider = model.provider.text else { throw model.provider.missing(.chat) }
            return try await provider.send(call, model: model.config)
        }
        guard (200..<300).contains(upstream.status) else { return try await refusal(upstream, trace: trace) }
        if ollama.stream, upstream.header("content-type")?.lowercased().hasPrefix("text/event-stream") == true {
            return OllamaStream(reply: reply, trace: trace, stats: stats).response(for: upstream, connection: context.connection)
        }
        // Not streamed, or a provider that answered a stream request with one JSON object.
        let completion = try await whole(upstream, trace: trace)
        stats.finished = .now
        let object = reply.final(completion: completion, stats: stats)
        trace.update { record in
            record.promptTokens = object["prompt_eval_count"]?.intValue
            record.completionTokens = object["eval_count"]?.intValue
            record.totalTokens = completion["usage"]?["total_tokens"]?.intValue
                ?? record.promptTokens.map { $0 + (record.completionTokens ?? 0) }
        }
        let response = answer(object, stream: ollama.stream)
        trace.update { $0.bytesOut = response.body.contentLength ?? 0 }
        trace.finishWhole(status: 200)
        return response
    }

    /// A name as Ollama clients write it: `llama3:latest` is `llama3` when only that is configured.
    private func resolve(_ name: String) -> ResolvedModel? {
        if let model = services.catalog.resolve(name) { return model }
        guard name.hasSuffix(":latest") else { return nil }
        return services.catalog.resolve(String(name.dropLast(7)))
    }

    /// One object: JSON, or a single NDJSON line for a caller that asked for a stream.
    private func answer(_ object: JSONValue, stream: Bool) -> Response {
        guard stream else { return Response.json(object) }
        var line = ByteBuffer()
        OllamaStream.write(object, into: &line)
        return Response(status: .ok, headers: [.contentType: OllamaStream.contentType], body: .init(byteBuffer: line))
    }

    /// The whole upstream answer as JSON; 502 naming the provider when it is not.
    private func whole(_ upstream: UpstreamResponse, trace: RequestTrace) async throws(GatewayError) -> JSONValue {
        let provider = trace.provider ?? "upstream"
        let bytes: ByteBuffer
        do {
            bytes = try await upstream.body.collect(upTo: services.maxBodyBytes)
        } catch {
            upstream.body.cancel()
            if let error = error as? UpstreamError { throw GatewayError(upstream: error, provider: provider) }
            throw .upstreamFailed(provider: provider, "the answer could not be read: \(error)")
        }
        trace.markFirstByte()
        guard let json = try? bytes.withUnsafeReadableBytes({ try JSONParser.parse($0) }), case .object = json else {
            throw .upstreamFailed(provider: provider, "the answer is not a JSON object")
        }
        return json
    }

    /// The provider's own error answer, with its status, as Ollama's `{"error": "…"}` (its message, or the start
    /// of its body). `Retry-After` passes through.
    private func refusal(_ upstream: UpstreamResponse, trace: RequestTrace) async throws -> Response {
        let bytes = (try? await upstream.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
        upstream.body.cancel()
        let parsed = try? bytes.withUnsafeReadableBytes { try JSONParser.parse($0) }
        var message = parsed?["error"]?["message"]?.stringValue ?? parsed?["error"]?.stringValue
            ?? String(String(buffer: bytes).prefix(300)).trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { message = "The provider answered \(upstream.status)." }
        var response = Response.json(["error": .string(message)], status: .init(code: upstream.status))
        if let retryAfter = upstream.header("retry-after") { response.headers[.retryAfter] = retryAfter }
        trace.update { $0.bytesOut = response.body.contentLength ?? 0 }
        trace.finishWhole(status: upstream.status, error: "upstream \(upstream.status): \(message.prefix(300))")
        return response
    }
}
