import ChorusUpstream
import ChorusWire
import NIOCore

/// Rewrites a call for an OpenAI-compatible provider: its URL, its own key and extra headers, provider then model
/// defaults merged under the request, and `model` rewritten to the provider's name for it.
struct OpenAICompatibleAdapter: Sendable {
    let provider: ProviderConfig

    func url(_ path: String) -> String { provider.baseURL + path }

    func headers(contentType: String?, accept: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        headers.reserveCapacity(4 + provider.headers.count)
        if let apiKey = provider.apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let accept { headers.append(("Accept", accept)) }
        headers.append(("User-Agent", "chorus"))
        // Provider headers last so a configured header (e.g. a custom auth scheme) wins.
        for (name, value) in provider.headers {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        return headers
    }

    /// The JSON body to send upstream. When nothing needs rewriting the caller's bytes go as they are.
    func body(original: ByteBuffer, parsed: JSONValue, model: ResolvedModel) -> ByteBuffer {
        let noDefaults = model.config.defaults.objectValue?.isEmpty ?? true
        let providerNoDefaults = model.provider.defaults.objectValue?.isEmpty ?? true
        if noDefaults, providerNoDefaults, model.upstreamModel == model.name {
            return original
        }
        var rewritten = parsed.merging(defaults: model.config.defaults).merging(defaults: model.provider.defaults)
        rewritten.set("model", .string(model.upstreamModel))
        return ByteBuffer(bytes: rewritten.serialized())
    }

    func jsonRequest(path: String, body: ByteBuffer, stream: Bool) -> UpstreamRequest {
        var request = UpstreamRequest(
            method: "POST",
            url: url(path),
            headers: headers(contentType: "application/json", accept: stream ? "text/event-stream" : "application/json"),
            body: .bytes(body),
            connectTimeout: provider.connectTimeout,
            timeout: provider.timeout)
        if stream { applyStreamTimeouts(&request) }
        return request
    }

    /// A streamed answer may legitimately run for minutes: no total limit, but abort when it stalls.
    func applyStreamTimeouts(_ request: inout UpstreamRequest) {
        request.timeout = 0
        request.idleTimeout = provider.streamIdleTimeout
    }
}
