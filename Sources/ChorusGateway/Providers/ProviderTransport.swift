import ChorusUpstream
import ChorusWire
import NIOCore

/// How a provider reached over HTTP is called: its URL, its own key and extra headers, provider then model
/// defaults merged under the request, `model` rewritten to the provider's name for it, and transport failures
/// turned into the documented statuses (502, 504) naming the provider.
/// A class: each provider value that holds it is copied several times per request, and copying the provider's
/// config (strings, headers, defaults) with it cost retains on every copy.
final class ProviderTransport: Sendable {
    let provider: ProviderConfig
    let upstream: UpstreamClient
    let metrics: GatewayMetrics
    /// Upper bound for a whole JSON answer read by `collectJSON`.
    let maxAnswerBytes: Int
    /// The gateway's one local aligner, for transcripts answered as text where times were asked.
    let aligner: LocalAligner

    /// The headers every request to this provider carries, built once: its key, the user agent and its own
    /// configured headers (last, so a configured header such as a custom auth scheme wins).
    private let fixedHeaders: [(String, String)]
    /// The configured header names (lowercased) that replace the per-request Content-Type or Accept.
    private let configuredNames: Set<String>

    init(provider: ProviderConfig, environment: ProviderEnvironment) {
        self.provider = provider
        upstream = environment.upstream
        metrics = environment.metrics
        maxAnswerBytes = environment.maxAnswerBytes
        aligner = environment.aligner
        let configured = Set(provider.headers.map { $0.0.lowercased() })
        var fixed: [(String, String)] = []
        if let apiKey = provider.apiKey, !configured.contains("authorization") { fixed.append(("Authorization", "Bearer \(apiKey)")) }
        if !configured.contains("user-agent") { fixed.append(("User-Agent", "chorus")) }
        for (name, value) in provider.headers {
            fixed.removeAll { $0.0.lowercased() == name.lowercased() }
            fixed.append((name, value))
        }
        fixedHeaders = fixed
        configuredNames = configured
    }

    func url(_ path: String) -> String { provider.baseURL + path }

    func headers(contentType: String?, accept: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        headers.reserveCapacity(2 + fixedHeaders.count)
        if let contentType, !configuredNames.contains("content-type") { headers.append(("Content-Type", contentType)) }
        if let accept, !configuredNames.contains("accept") { headers.append(("Accept", accept)) }
        headers.append(contentsOf: fixedHeaders)
        return headers
    }

    /// The JSON body to send upstream. When nothing needs rewriting the caller's bytes go as they are, unparsed.
    func body(for call: TextCall, model: ModelConfig) throws(GatewayError) -> ByteBuffer {
        let noDefaults = model.defaults.objectValue?.isEmpty ?? true
        let providerNoDefaults = provider.defaults.objectValue?.isEmpty ?? true
        // The caller's bytes name the model they asked for; a fallback or an alias needs its own name in them.
        if noDefaults, providerNoDefaults, call.model == model.model {
            return call.body
        }
        var rewritten = withDefaults(try call.json(), model: model)
        rewritten.set("model", .string(model.model))
        return ByteBuffer(bytes: rewritten.serialized())
    }

    /// Request values win over the model's defaults, which win over the provider's.
    func withDefaults(_ json: JSONValue, model: ModelConfig) -> JSONValue {
        json.merging(defaults: model.defaults).merging(defaults: provider.defaults)
    }

    /// A POST of `body`; a streamed answer gets the stream timeouts instead of a total one.
    func post(_ path: String, contentType: String, accept: String?, body: UpstreamRequestBody, stream: Bool) -> UpstreamRequest {
        post(url: url(path), contentType: contentType, accept: accept, body: body, stream: stream)
    }

    func post(url: String, contentType: String, accept: String?, body: UpstreamRequestBody, stream: Bool) -> UpstreamRequest {
        var request = UpstreamRequest(
            method: "POST", url: url, headers: headers(contentType: contentType, accept: accept), body: body,
            connectTimeout: provider.connectTimeout, timeout: provider.timeout)
        request.firstByteTimeout = provider.firstByteTimeout ?? provider.timeout
        request.caFile = provider.caFile
        if stream {
            // A streamed answer may legitimately run for minutes: no total limit, but abort when it stalls. Before
            // its head only the first-byte limit (or a shorter idle limit) applies.
            request.timeout = 0
            request.idleTimeout = provider.streamIdleTimeout
        }
        return request
    }

    func jsonRequest(path: String, body: ByteBuffer, stream: Bool) -> UpstreamRequest {
        post(path, contentType: "application/json", accept: stream ? "text/event-stream" : "application/json",
             body: .bytes(body), stream: stream)
    }

    /// Sends a request upstream and maps transport failures to the documented statuses (502, 504).
    func execute(_ request: UpstreamRequest) async throws(GatewayError) -> UpstreamResponse {
        do {
            return try await upstream.execute(request)
        } catch let error as UpstreamError {
            metrics.upstreamError(provider: provider.name, kind: "\(error.kind)")
            throw GatewayError(upstream: error, provider: provider.name)
        } catch is CancellationError {
            throw GatewayError.upstreamFailed(provider: provider.name, "the request was cancelled")
        } catch {
            metrics.upstreamError(provider: provider.name, kind: "other")
            throw .upstreamFailed(provider: provider.name, "\(error)")
        }
    }

    /// A whole JSON answer of at most `limit` bytes; anything else is a 502 naming the provider.
    func collectJSON(_ response: UpstreamResponse, limit: Int? = nil, what: String = "answer") async throws(GatewayError) -> JSONValue {
        let body = try await collect(response, limit: limit, what: what)
        do {
            return try body.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes) }
        } catch {
            throw .upstreamFailed(provider: provider.name, "the \(what) is not JSON (\(error.description))")
        }
    }
}

extension ProviderTransport {
    /// The whole answer body, up to `limit` (default `maxAnswerBytes`).
    func collect(_ response: UpstreamResponse, limit: Int? = nil, what: String = "answer") async throws(GatewayError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: limit ?? maxAnswerBytes)
        } catch let error as UpstreamError {
            throw GatewayError(upstream: error, provider: provider.name)
        } catch {
            throw .upstreamFailed(provider: provider.name, "the \(what) could not be read: \(error)")
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

/// A provider reached over HTTP: it is its transport, and its config is the transport's.
protocol HTTPProvider: Provider {
    var transport: ProviderTransport { get }
    init(transport: ProviderTransport)
}

extension HTTPProvider {
    var config: ProviderConfig { transport.provider }

    init(config: ProviderConfig, environment: ProviderEnvironment) {
        self.init(transport: ProviderTransport(provider: config, environment: environment))
    }
}
