import ChorusWire
import Hummingbird
import NIOCore

extension GatewayError: HTTPResponseError {
    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { fields[.retryAfter] = String(retryAfter) }
        return fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(requestID: nil)
    }

    /// The answer for this error; a 5xx names the request id so the log line can be found.
    func response(requestID: String?) -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body(requestID: requestID))))
    }

    /// `{"error": {"message", "type", "param", "code"}}` — what every OpenAI SDK knows how to report.
    public var body: [UInt8] { body(requestID: nil) }

    func body(requestID: String?) -> [UInt8] {
        let body: JSONValue = ["error": errorObject(requestID: requestID)]
        return body.serialized()
    }

    /// The `{"message", "type", "param", "code"}` inside `error`: also what an event stream's `error` event carries.
    func errorObject(requestID: String?) -> JSONValue {
        [
            "message": .string(publicMessage(requestID: requestID)),
            "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null,
            "code": codeString.map(JSONValue.string) ?? .null,
        ]
    }
}
