import ChorusWire
import Hummingbird
import NIOCore

/// How the LoopGpt-style chat API (`/api/v1/chat/send`, `/api/v1/chat/conversations…`) writes an error:
/// `{"success": false, "message": "..."}`, with the status and headers (`Retry-After`) every style keeps. That
/// API's clients match two texts exactly, so a refused key reads "Invalid API key" and spent points (a balance,
/// or a budget for the period) read "No points remaining"; `Retry-After` still says when the points come back.
/// A 5xx names its request id in the message and as `request_id`, never the internal detail.
struct LoopGptErrorStyle: ErrorStyle {
    func response(for error: GatewayError, requestID: String?) -> Response {
        var body: [(String, JSONValue)] = [("success", false), ("message", .string(Self.message(for: error, requestID: requestID)))]
        if error.status.code >= 500, let requestID { body.append(("request_id", .string(requestID))) }
        return Response(status: error.status, headers: error.headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).serialized())))
    }

    static func message(for error: GatewayError, requestID: String?) -> String {
        switch error.code {
        case .missingKey, .invalidKey: "Invalid API key"
        case .insufficientQuota: "No points remaining"
        default: error.publicMessage(requestID: requestID)
        }
    }
}
