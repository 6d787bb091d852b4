import ChorusWire
import NIOCore

/// Server-sent events as Chorus writes them: `[event: <name>\n]data: <json>\n\n`.
enum SSE {
    static func frame(_ event: JSONValue, name: String? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        write(event, name: name, into: &buffer)
        return buffer
    }

    static func write(_ event: JSONValue, name: String? = nil, into buffer: inout ByteBuffer) {
        if let name { buffer.writeString("event: \(name)\n") }
        buffer.writeString("data: ")
        buffer.writeBytes(event.serialized())
        buffer.writeString("\n\n")
    }

    /// The end of an OpenAI chat stream.
    static func writeDone(into buffer: inout ByteBuffer) { buffer.writeString("data: [DONE]\n\n") }
}
