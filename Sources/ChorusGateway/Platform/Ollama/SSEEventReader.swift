import NIOCore

/// The `data` of each server-sent event in a body that arrives in chunks cut anywhere (an event, a line, even a
/// UTF-8 sequence may be split across two). Events are returned as soon as their blank line arrives.
struct SSEEventReader {
    /// An event longer than this is not a chat chunk: the stream is refused rather than held in memory.
    static let maxEventBytes = 4 << 20

    struct EventTooLarge: Error {}

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false

    mutating func feed(_ buffer: ByteBuffer) throws(EventTooLarge) -> [String] {
        var events: [String] = []
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
                if line.count + data.count > Self.maxEventBytes { throw EventTooLarge() }
            }
        }
        return events
    }

    /// The event left open when the body ended without its blank line.
    mutating func finish() -> String? {
        _ = endLine()
        return dispatch()
    }

    private mutating func endLine() -> String? {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        // `data:` fields only; comments (`:`), `event:`, `id:` and `retry:` say nothing a chat chunk needs.
        guard line.starts(with: "data:".utf8) else { return nil }
        var value = line.dropFirst(5)
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if hasData { data.append(UInt8(ascii: "\n")) }
        data.append(contentsOf: value)
        hasData = true
        return nil
    }

    private mutating func dispatch() -> String? {
        guard hasData else { return nil }
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        return String(decoding: data, as: UTF8.self)
    }
}
