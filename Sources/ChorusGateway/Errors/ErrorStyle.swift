import Hummingbird

/// How a family of routes writes an error. The OpenAI routes use OpenAI's `{"error": {...}}`; surfaces that stand
/// in for other platforms (the LoopGpt chat API, Ollama) answer in their own shape, so their clients can read it.
/// The status, headers (`Retry-After`) and the request id of a 5xx are the same in every style.
protocol ErrorStyle: Sendable {
    func response(for error: GatewayError, requestID: String?) -> Response
}

/// `{"error": {"message", "type", "param", "code"}}`.
struct OpenAIErrorStyle: ErrorStyle {
    func response(for error: GatewayError, requestID: String?) -> Response {
        error.response(requestID: requestID)
    }
}

extension GatewayError {
    /// The message a client may see: a 5xx's names the request id (never the detail, which only the log has).
    func publicMessage(requestID: String?) -> String {
        guard status.code >= 500, let requestID else { return message }
        return message + " (request id: \(requestID))"
    }
}
