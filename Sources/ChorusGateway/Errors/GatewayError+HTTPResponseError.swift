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
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `{"error": {"message", "type", "param", "code"}}` — what every OpenAI SDK knows how to report.
    public var body: [UInt8] {
        let error: JSONValue = [
            "message": .string(message),
            "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null,
            "code": codeString.map(JSONValue.string) ?? .null,
        ]
        let body: JSONValue = ["error": error]
        return body.serialized()
    }
}
