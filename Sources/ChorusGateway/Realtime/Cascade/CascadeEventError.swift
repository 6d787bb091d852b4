/// What an `error` event tells the client: its event was refused, the session goes on.
struct CascadeEventError: Error, Sendable, Equatable {
    var type = "invalid_request_error"
    var code: String
    var message: String
    var param: String?

    static func invalid(_ param: String, _ message: String) -> CascadeEventError {
        CascadeEventError(code: "invalid_value", message: message, param: param)
    }

    static func unknownEvent(_ type: String) -> CascadeEventError {
        CascadeEventError(code: "unknown_event_type", message: "Unknown event type '\(type)'.", param: "type")
    }

    /// A server-side failure: the client gets the request id to quote, never the internal detail.
    static func server(_ message: String, requestID: String) -> CascadeEventError {
        CascadeEventError(type: "server_error", code: "server_error", message: "\(message) (request id \(requestID))")
    }
}
