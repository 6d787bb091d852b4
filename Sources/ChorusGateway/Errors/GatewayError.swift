import HTTPTypes

/// An error Chorus itself produces, written to the client in OpenAI's error shape.
///
/// A struct around a private code enum, so adding a case never breaks a caller.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    enum Code: String, Sendable {
        case invalidRequest, invalidJSON, missingParameter, invalidParameter
        case missingKey, invalidKey, modelNotAllowed, forbidden
        case modelNotFound, notFound, payloadTooLarge, unsupportedMediaType
        case rateLimited, insufficientQuota, notImplemented, upstreamUnreachable, upstreamTimeout, upstreamFailed
        case serviceUnavailable, internalError, clientClosed
        case requestTimeout, shuttingDown, audioTooLong
        case modelShutDown
    }

    let code: Code
    /// What the client reads.
    public let message: String
    public let param: String?
    /// Seconds the client should wait (429, and 503 from an open circuit).
    public let retryAfter: Int?
    /// What only the log and the usage row get (database text, file paths, transport errors).
    let detail: String?
    /// Set for errors Hummingbird raised (unknown route, wrong method): their own status.
    private let httpStatus: HTTPResponse.Status?

    init(_ code: Code, _ message: String, param: String? = nil, retryAfter: Int? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
        self.detail = detail
        self.httpStatus = nil
    }

    /// An error Hummingbird raised, in OpenAI's shape with its status.
    init(http status: HTTPResponse.Status, message: String) {
        code = status.code >= 500 ? .internalError : .invalidRequest
        self.message = message
        param = nil
        retryAfter = nil
        detail = nil
        httpStatus = status
    }

    public var description: String { detail.map { "\(message) (\($0))" } ?? message }

    public var status: HTTPResponse.Status {
        if let httpStatus { return httpStatus }
        return switch code {
        case .invalidRequest, .invalidJSON, .missingParameter, .invalidParameter, .audioTooLong: .badRequest
        case .missingKey, .invalidKey: .unauthorized
        case .modelNotAllowed, .forbidden: .forbidden
        case .modelNotFound, .notFound: .notFound
        case .modelShutDown: .gone
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rateLimited, .insufficientQuota: .tooManyRequests
        case .notImplemented: .notImplemented
        case .upstreamUnreachable, .upstreamFailed: .badGateway
        case .upstreamTimeout: .gatewayTimeout
        case .serviceUnavailable, .shuttingDown: .serviceUnavailable
        case .requestTimeout: .requestTimeout
        case .internalError: .internalServerError
        // nginx's "client closed request": only ever in the usage log and metrics, the client is gone.
        case .clientClosed: HTTPResponse.Status(code: 499)
        }
    }

    /// OpenAI's `error.type`.
    public var type: String {
        switch code {
        case .missingKey, .invalidKey: "authentication_error"
        case .modelNotAllowed, .forbidden: "permission_error"
        case .rateLimited: "rate_limit_error"
        case .insufficientQuota: "insufficient_quota"
        case .upstreamUnreachable, .upstreamTimeout, .upstreamFailed, .serviceUnavailable, .shuttingDown, .internalError: "api_error"
        case .notImplemented: "not_implemented_error"
        default: status.code >= 500 ? "api_error" : "invalid_request_error"
        }
    }

    /// OpenAI's `error.code`.
    public var codeString: String? {
        switch code {
        case .invalidJSON: "invalid_json"
        case .missingParameter: "missing_required_parameter"
        case .invalidParameter: "invalid_value"
        case .missingKey: "missing_api_key"
        case .invalidKey: "invalid_api_key"
        case .modelNotAllowed: "model_not_allowed"
        case .forbidden: "permission_denied"
        case .modelNotFound: "model_not_found"
        case .payloadTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .rateLimited: "rate_limit_exceeded"
        case .insufficientQuota: "insufficient_quota"
        case .notImplemented: "capability_not_supported"
        case .upstreamUnreachable: "upstream_unreachable"
        case .upstreamTimeout: "upstream_timeout"
        case .upstreamFailed: "upstream_error"
        case .requestTimeout: "request_timeout"
        case .shuttingDown: "server_shutting_down"
        case .audioTooLong: "audio_too_long"
        case .modelShutDown: "model_shut_down"
        default: nil
        }
    }

    // MARK: factories

    public static func invalidJSON(_ detail: String, param: String? = nil) -> Self {
        .init(.invalidJSON, "We could not parse the JSON body of your request. (\(detail))", param: param)
    }
    public static func invalidRequest(_ message: String, param: String? = nil) -> Self {
        .init(.invalidRequest, message, param: param)
    }
    public static func missingParameter(_ name: String) -> Self {
        .init(.missingParameter, "Missing required parameter: '\(name)'.", param: name)
    }
    public static func invalidParameter(_ name: String, _ message: String) -> Self {
        .init(.invalidParameter, message, param: name)
    }
    public static let missingKey = Self(
        .missingKey,
        "You didn't provide an API key. Provide it as 'Authorization: Bearer YOUR_KEY' or 'x-api-key: YOUR_KEY'.")
    public static let invalidKey = Self(.invalidKey, "Incorrect API key provided.")
    /// Revoked and expired keys read exactly what an unknown key reads: a different text would tell whoever holds
    /// a leaked or guessed key that it once was real. Why it failed goes to the usage row's error only (`detail`).
    public static let expiredKey = Self(.invalidKey, invalidKey.message, detail: "the key has expired")
    public static let revokedKey = Self(.invalidKey, invalidKey.message, detail: "the key has been revoked")
    public static func modelNotAllowed(_ model: String) -> Self {
        .init(.modelNotAllowed, "This API key is not allowed to use the model '\(echo(model))'.", param: "model")
    }
    /// The caller sees what it asked for but may not change it (another key's public RAG datastore).
    public static func forbidden(_ message: String, param: String? = nil) -> Self { .init(.forbidden, message, param: param) }
    public static func modelNotFound(_ model: String) -> Self {
        .init(.modelNotFound, "The model '\(echo(model))' does not exist or you do not have access to it.", param: "model")
    }
    /// The same, naming a few models the key may use instead (`suggestions.more`: how many were left out).
    static func modelNotFound(_ model: String, suggestions: (names: [String], more: Int)) -> Self {
        var error = modelNotFound(model)
        guard !suggestions.names.isEmpty else { return error }
        let more = suggestions.more > 0 ? " and \(suggestions.more) more (GET /v1/models)" : ""
        error = .init(.modelNotFound, error.message + " Models this key can use here: \(suggestions.names.joined(separator: ", "))\(more).",
                      param: "model")
        return error
    }
    /// The model's `shutdown_date` has passed and it is not remapped (or its replacement cannot serve this call).
    /// `why` finishes the sentence when a replacement exists but cannot take the call.
    static func modelShutDown(_ model: String, on day: String, replacement: String?, why: String? = nil) -> Self {
        var message = "The model '\(echo(model))' was shut down on \(day)."
        switch (replacement, why) {
        case (let replacement?, let why?): message += " Its replacement '\(replacement)' \(why)."
        case (let replacement?, nil): message += " Use its replacement '\(replacement)' instead."
        case (nil, _): message += " It has no replacement."
        }
        return .init(.modelShutDown, message, param: "model")
    }
    /// 501 `capability_not_supported`: the model exists but is not served for this route (its `capabilities`, or
    /// what its provider offers), answered without contacting the provider.
    public static func wrongCapability(_ model: String, wanted: String) -> Self {
        .init(.notImplemented, "The model '\(echo(model))' does not support \(wanted).", param: "model")
    }

    /// A caller's string as an error message quotes it: its first 64 characters, control characters escaped,
    /// so a 20 MB name is not sent back whole and a name cannot break a log line.
    static func echo(_ text: String) -> String {
        var result = ""
        for character in text.prefix(64) {
            if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                result += character.unicodeScalars.map { "\\u{\(String($0.value, radix: 16))}" }.joined()
            } else {
                result.append(character)
            }
        }
        return text.count > 64 ? result + "…" : result
    }
    public static func notFound(_ what: String, param: String? = nil) -> Self { .init(.notFound, what, param: param) }
    public static func payloadTooLarge(limitBytes: Int, param: String? = nil) -> Self {
        .init(.payloadTooLarge, "Request body too large: the limit is \(limitBytes) bytes.", param: param)
    }
    public static func unsupportedMediaType(_ message: String, param: String? = nil) -> Self {
        .init(.unsupportedMediaType, message, param: param)
    }
    public static func rateLimited(retryAfter: Int) -> Self {
        .init(.rateLimited, "Rate limit reached for this API key. Retry after \(retryAfter)s.", retryAfter: retryAfter)
    }
    /// The key already has `limit` requests open (`max_concurrency`).
    public static func tooManyOpenRequests(limit: Int) -> Self {
        .init(.rateLimited, "This API key already has \(limit) requests open (its concurrency limit). Retry when one ends.",
              retryAfter: 1)
    }
    /// `server.global_rpm`: the whole gateway's rate, across all keys.
    public static func gatewayRateLimited(retryAfter: Int) -> Self {
        .init(.rateLimited, "The gateway is at its request rate limit. Retry after \(retryAfter)s.", retryAfter: retryAfter)
    }
    /// The key's points cannot cover the call: "No points remaining".
    public static func insufficientBalance(retryAfter: Int?) -> Self {
        let when = retryAfter.map { " The balance is refilled in \($0)s." } ?? ""
        return .init(.insufficientQuota, "No points remaining: this API key's balance does not cover the call.\(when)",
                     retryAfter: retryAfter)
    }
    public static func budgetSpent(retryAfter: Int) -> Self {
        .init(.insufficientQuota, "This API key's budget for the period is spent. The next period starts in \(retryAfter)s.",
              retryAfter: retryAfter)
    }
    public static func notImplemented(_ message: String, param: String? = nil) -> Self {
        .init(.notImplemented, message, param: param)
    }
    public static func upstreamUnreachable(provider: String, _ detail: String) -> Self {
        .init(.upstreamUnreachable, "Could not reach provider '\(provider)'.", detail: detail)
    }
    public static func upstreamTimeout(provider: String) -> Self {
        .init(.upstreamTimeout, "Provider '\(provider)' did not answer in time.")
    }
    public static func upstreamFailed(provider: String, _ detail: String) -> Self {
        .init(.upstreamFailed, "Provider '\(provider)' failed: \(detail)")
    }
    /// The provider's circuit is open (it failed repeatedly) and the model has no fallback left to try.
    public static func providerUnavailable(provider: String, retryAfter: Int) -> Self {
        .init(.serviceUnavailable, "Provider '\(provider)' is unavailable after repeated failures. Retry after \(retryAfter)s.",
              retryAfter: retryAfter)
    }
    /// `detail` goes to the log and the usage row; the client reads a generic message and the request id.
    /// The database a call needs (its key, when not cached; its balance) cannot be reached just now: a 503 the
    /// client may retry, where the cause (the server's address, its error) goes to the log only.
    public static func storeUnavailable(_ detail: String) -> Self {
        .init(.serviceUnavailable, "The gateway's database is unavailable just now. Retry after 2s.", retryAfter: 2, detail: detail)
    }
    public static func internalError(_ detail: String) -> Self {
        .init(.internalError, "The server had an error while processing your request.", detail: detail)
    }
    /// The client went away before its answer was complete (while Chorus read its request, or worked on it).
    public static func clientClosed(_ message: String) -> Self { .init(.clientClosed, message) }
    /// The client stopped sending its request body for `server.body_timeout_seconds`.
    public static func requestBodyTimeout() -> Self {
        .init(.requestTimeout, "The request body stopped arriving; the connection is closed.")
    }
    /// The request was cut off by a shutdown that ran out of grace; another replica (or this one, restarted) can take it.
    public static func shuttingDown() -> Self {
        .init(.shuttingDown, "The server is shutting down; retry the request.")
    }
    /// `/metrics` behind `server.metrics_key`. The message never holds the key, or what was presented.
    public static func metricsKeyRequired(presented: Bool) -> Self {
        .init(presented ? .invalidKey : .missingKey,
              presented ? "Incorrect metrics key provided." : "/metrics needs the metrics key: 'Authorization: Bearer <server.metrics_key>'.")
    }
    /// More audio than the provider's `max_audio_seconds` lets one request put through Chorus's own engines.
    /// `seconds` is the audio's length when known (the container's, or measured), nil when decoding ran past the limit.
    public static func audioTooLong(seconds: Double?, limit: Double, provider: String, param: String) -> Self {
        let length = seconds.map { "is \(Self.seconds($0)) long" } ?? "runs past that"
        return .init(.audioTooLong,
                     "Provider '\(provider)' takes at most \(Self.seconds(limit)) of audio per request (max_audio_seconds); this audio \(length).",
                     param: param)
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? "\(Int(value)) s" : "\((value * 10).rounded() / 10) s"
    }
    public static func unauthorizedAdmin() -> Self {
        .init(.invalidKey, "This route needs the master key.")
    }
}
