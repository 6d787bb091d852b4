import NIOCore

/// Server-sent events as Chorus writes them: `data: <json>\n\n`.
enum SSE {
    static func frame(_ event: JSONValue) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(event.serialized())
        buffer.writeString("\n\n")
        return buffer
    }

    static let done = ByteBuffer(string: "data: [DONE]\n\n")
}
