import ChorusWire
import NIOCore

/// Finds the upstream's `usage` object in a response passing through, without holding the whole body: it keeps the
/// first `headSize` bytes (error bodies, and providers that put `usage` first) and a rolling tail of the last
/// `tailSize` (OpenAI-style servers put `usage` last, and in a stream the usage chunk is the last event before
/// `[DONE]`). So an open stream holds at most head + 2 × tail bytes here, however long it runs — the scanner
/// used to keep the first 256 KiB of every stream.
struct UsageScanner {
    static let headSize = 16 * 1024
    static let tailSize = 16 * 1024

    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private(set) var totalBytes = 0
    /// Counts events over the whole body (the head and tail above do not keep its middle).
    private(set) var imageEvents: EventCounter?

    init(imageEvents: EventCounter? = nil) {
        self.imageEvents = imageEvents
    }

    mutating func feed(_ buffer: ByteBuffer) {
        totalBytes += buffer.readableBytes
        imageEvents?.feed(buffer)
        buffer.withUnsafeReadableBytes { bytes in
            var rest = bytes[...]
            if head.count < Self.headSize {
                let take = min(Self.headSize - head.count, rest.count)
                head.append(contentsOf: rest.prefix(take))
                rest = rest.dropFirst(take)
            }
            guard !rest.isEmpty else { return }
            tail.append(contentsOf: rest)
            if tail.count > Self.tailSize * 2 { tail.removeFirst(tail.count - Self.tailSize) }
        }
    }

    /// Bytes held for the scan (for tests and diagnostics).
    var retainedBytes: Int { head.count + tail.count }

    /// (prompt, completion, total) tokens from the last `"usage": {…}` seen. While nothing was dropped the body is
    /// searched whole (an object may straddle the head's end); after that the tail first, then the head.
    func tokens() -> (prompt: Int?, completion: Int?, total: Int?)? {
        let object: ArraySlice<UInt8>?
        if head.count + tail.count == totalBytes {
            object = Self.lastUsageObject(in: tail.isEmpty ? head : head + tail)
        } else {
            object = Self.lastUsageObject(in: tail) ?? Self.lastUsageObject(in: head)
        }
        guard let object, let usage = try? JSONParser.parse(object) else { return nil }
        let prompt = usage["prompt_tokens"]?.intValue ?? usage["input_tokens"]?.intValue
        let completion = usage["completion_tokens"]?.intValue ?? usage["output_tokens"]?.intValue
        let total = usage["total_tokens"]?.intValue ?? prompt.map { $0 + (completion ?? 0) }
        if prompt == nil && completion == nil && total == nil { return nil }
        return (prompt, completion, total)
    }

    /// The balanced `{…}` following the last `"usage"` key, strings taken into account.
    static func lastUsageObject(in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        let needle = Array("\"usage\"".utf8)
        var searchEnd = bytes.count
        while let found = lastIndex(of: needle, in: bytes, before: searchEnd) {
            searchEnd = found
            var i = found + needle.count
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { continue }
            i += 1
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { continue }
            let start = i
            var depth = 0
            var inString = false
            var escaped = false
            while i < bytes.count {
                let b = bytes[i]
                if inString {
                    if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") {
                    depth += 1
                } else if b == UInt8(ascii: "}") {
                    depth -= 1
                    if depth == 0 { return bytes[start...i] }
                }
                i += 1
            }
        }
        return nil
    }

    private static func lastIndex(of needle: [UInt8], in bytes: [UInt8], before end: Int) -> Int? {
        guard needle.count <= end else { return nil }
        var i = end - needle.count
        while i >= 0 {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }
}

extension UsageScanner {
    /// The start of an error body, for the usage row of a failed upstream call.
    func errorSummary() -> String {
        let prefix = head.prefix(300)
        if let json = try? JSONParser.parse(head), let message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue {
            return String(message.prefix(300))
        }
        return String(decoding: prefix, as: UTF8.self)
    }
}
