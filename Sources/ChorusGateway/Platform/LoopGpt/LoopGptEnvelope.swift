import ChorusWire
import Foundation
import Hummingbird

/// The LoopGpt-style API's success answer, `{"success": true, "message": "Success", "data": ...}`, and how its
/// conversations and messages are written in it (times as ISO 8601 UTC).
enum LoopGptEnvelope {
    static func success(_ data: JSONValue) -> Response {
        Response.json(["success": true, "message": "Success", "data": data])
    }

    static func conversation(_ conversation: ConversationRecord) -> [(String, JSONValue)] {
        [
            ("id", .number(Int(conversation.id))),
            ("title", .string(conversation.title)),
            ("model", .string(conversation.model)),
            ("message_count", .number(conversation.messageCount)),
            ("created_at", .string(time(conversation.createdAt))),
            ("updated_at", .string(time(conversation.updatedAt))),
        ]
    }

    static func message(_ message: ChatMessageRecord) -> JSONValue {
        .object([
            ("id", .number(Int(message.id))),
            ("role", .string(message.role.rawValue)),
            ("content", .string(message.content)),
            ("model", message.model.map(JSONValue.string) ?? .null),
            ("tokens", message.tokens.map(JSONValue.number) ?? .null),
            ("created_at", .string(time(message.createdAt))),
        ])
    }

    static func time(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}
