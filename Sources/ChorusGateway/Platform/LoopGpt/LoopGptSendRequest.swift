import ChorusWire
import HTTPTypes
import NIOCore

/// The body of `POST /api/v1/chat/send`, checked: `model_id` (a catalog id, slug or name; a number or a string),
/// `message` (a string with something in it) and the optional `conversation_id` (a positive integer, or its
/// digits as a string). Malformed JSON and a missing or wrong-typed field are 422 naming it; an empty message is
/// 400 "Message cannot be empty".
struct LoopGptSendRequest: Sendable {
    var modelID: String
    var message: String
    var conversationID: Int64?

    init(body: ByteBuffer) throws(GatewayError) {
        let json: JSONValue
        do {
            json = try body.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes) }
        } catch {
            throw Self.unprocessable("The request body is not valid JSON (\(error.description)).")
        }
        guard case .object = json else { throw Self.unprocessable("The request body must be a JSON object.") }
        switch json["model_id"] {
        case nil, .null?:
            throw Self.unprocessable("The model_id field is required.")
        case .string(let text)?:
            guard !text.isEmpty else { throw Self.unprocessable("The model_id field is required.") }
            modelID = text
        case let value? where value.intValue != nil:
            modelID = String(value.intValue ?? 0)
        default:
            throw Self.unprocessable("The model_id field must be a string or an integer.")
        }
        switch json["message"] {
        case nil, .null?:
            throw Self.unprocessable("The message field is required.")
        case .string(let text)?:
            guard text.contains(where: { !$0.isWhitespace }) else { throw GatewayError.invalidRequest("Message cannot be empty", param: "message") }
            message = text
        default:
            throw Self.unprocessable("The message field must be a string.")
        }
        switch json["conversation_id"] {
        case nil, .null?:
            conversationID = nil
        case let value?:
            let id = value.intValue.map(Int64.init) ?? value.stringValue.flatMap { Int64($0) }
            guard let id, id >= 1 else { throw Self.unprocessable("The conversation_id field must be a positive integer.") }
            conversationID = id
        }
    }

    static func unprocessable(_ message: String) -> GatewayError {
        GatewayError(http: .unprocessableContent, message: message)
    }
}
