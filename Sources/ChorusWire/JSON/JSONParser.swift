/// A strict RFC 8259 parser over raw bytes. Hostile input (deep nesting, bad escapes, invalid UTF-8, trailing
/// garbage) gives a `JSONParseError` with the byte offset, never a crash: request bodies come from anyone.
public struct JSONParser {
    /// Deeper documents are refused rather than risking the stack.
    public static let maxDepth = 256
    /// Objects up to this many members look duplicates up by scanning; larger ones through a dictionary.
    static let linearKeyScanLimit = 16

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer: buffer) }
    }

    /// Bytes in place (a request body's, a member's range of it): neither copied nor read through the generic
    /// `Collection` overload, which the gateway module cannot specialize and which cost more than the parse of a
    /// small value.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        try parse(buffer: UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(buffer: buffer)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("Unexpected data after the JSON value") }
        return value
    }

    private let buffer: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    private func error(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: index) }

    private mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error("JSON nested too deeply") }
        guard index < buffer.count else { throw error("Unexpected end of JSON") }
        switch buffer[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("Unexpected character '\(Character(Unicode.Scalar(buffer[index])))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= buffer.count else { throw error("Unexpected end of JSON") }
        let ptr = literal.utf8Start
        for i in 0..<count where buffer[index + i] != ptr[i] { throw error("Invalid literal") }
        index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        // Past a few members, duplicates are found through a dictionary: a linear scan per key made an object
        // with many distinct keys quadratic (100 000 keys, a 1.5 MB body, took a minute of CPU; 32 MB would take hours).
        var positions: [String: Int] = [:]
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { throw error("Expected a string key") }
            let keyStart = index
            let key = try parseString()
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else { throw error("Expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            // A duplicate key is refused: parsers disagree on which one wins, so a body Chorus acted on one way
            // could be forwarded and read the other way upstream (`"stream":true,"stream":false`).
            let existing = members.count <= Self.linearKeyScanLimit
                ? members.firstIndex(where: { $0.0 == key })
                : positions[key]
            if existing != nil { throw JSONParseError(message: "Duplicate key", offset: keyStart, key: key) }
            members.append((key, value))
            if members.count == Self.linearKeyScanLimit + 1 {
                for (i, member) in members.enumerated() { positions[member.0] = i }
            } else if members.count > Self.linearKeyScanLimit + 1 {
                positions[key] = members.count - 1
            }
            skipWhitespace()
            guard index < buffer.count else { throw error("Unexpected end of JSON") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw error("Expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < buffer.count else { throw error("Unexpected end of JSON") }
            if buffer[index] == UInt8(ascii: ",") { index += 1; continue }
            if buffer[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("Expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        let (end, valid) = JSONGrammar.number(UnsafeRawBufferPointer(buffer), from: index)
        index = end
        guard valid else { throw error("Invalid number") }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes — validate UTF-8 and slice.
        while index < buffer.count {
            let b = buffer[index]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<index])
                index += 1
                guard let s = String(validating: slice, as: UTF8.self) else { throw error("Invalid UTF-8 in string") }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("Control character in string") }
            index += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buffer[start..<index]))
        while index < buffer.count {
            let b = buffer[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: bytes, as: UTF8.self) else { throw error("Invalid UTF-8 in string") }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < buffer.count else { throw error("Unexpected end of JSON") }
                let e = buffer[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"),
                            buffer[index + 1] == UInt8(ascii: "u")
                        else { throw error("Unpaired surrogate") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("Invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("Unpaired surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("Invalid unicode escape") }
                    bytes.append(contentsOf: String(Character(unicode)).utf8)
                default: throw error("Invalid escape")
                }
            default:
                if b < 0x20 { throw error("Control character in string") }
                bytes.append(b)
                index += 1
            }
        }
        throw error("Unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= buffer.count else { throw error("Unexpected end of JSON") }
        guard let value = JSONGrammar.hex4(UnsafeRawBufferPointer(buffer), at: index) else {
            // The error points at the first byte that is not a hex digit.
            while JSONGrammar.hexDigit(buffer[index]) != nil { index += 1 }
            throw error("Invalid unicode escape")
        }
        index += 4
        return value
    }
}
