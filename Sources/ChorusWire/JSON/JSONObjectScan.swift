/// Where a JSON object's top-level members are, found in one pass that builds no values.
///
/// A pass-through route needs two or three members of a body it forwards unchanged (`model`, `stream`, a prompt to
/// summarize): parsing the whole body into a `JSONValue` tree for that was ~23,000 instructions per chat request
/// plus the tree's allocations and hashing (bench/PROFILE.md). This pass checks the bytes as strictly as
/// `JSONParser` does — grammar, escapes and surrogate pairs, UTF-8, duplicate keys, nesting — and records each
/// top-level member's byte ranges, so the caller parses just the members it reads.
///
/// It vouches only for what it accepts: `scan` returns nil for anything the parser would refuse and for what this
/// pass leaves to the parser (keys written with escapes, objects with more than `maxMembers` members, nesting
/// deeper than `maxDepth`). A caller then parses the body whole, which gives the parser's exact answer or error.
/// Whatever `scan` accepts, `JSONParser.parse` accepts too, with the same top-level members (fuzz/FuzzJSON checks
/// both on every input).
public struct JSONObjectScan: Sendable {
    /// Ranges are byte offsets into the scanned bytes: `key` inside the quotes (no escapes), `value` the whole value.
    public struct Member: Sendable, Equatable {
        public var key: Range<Int>
        public var value: Range<Int>
    }

    public static let maxDepth = 64
    public static let maxMembers = 64

    public private(set) var members: [Member]

    /// nil: not an object this pass vouches for (see the type's comment); parse the bytes whole instead.
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> JSONObjectScan? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.index < bytes.count, bytes[scanner.index] == UInt8(ascii: "{") else { return nil }
        guard scanner.object(depth: 0, recordTop: true) else { return nil }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { return nil }
        return JSONObjectScan(members: scanner.top)
    }

    /// The value range of the member named `key` (ASCII, no escapes), if there is one.
    public func value(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        members.first { Self.equal(bytes, $0.key, key) }?.value
    }

    /// Whether `range` of `bytes` is exactly the ASCII text `text`.
    public static func equal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let start = text.utf8Start
        for i in 0..<range.count where bytes[range.lowerBound + i] != start[i] { return false }
        return true
    }

    // MARK: Walking values already vouched for

    /// The elements of the array at `range` (a value range this scan reported, or one found inside it).
    public static func elements(ofArray range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var walker = Scanner(bytes: bytes, index: range.lowerBound)
        guard range.count > 1, bytes[range.lowerBound] == UInt8(ascii: "[") else { return [] }
        walker.index += 1
        var items: [Range<Int>] = []
        walker.skipWhitespace()
        if walker.index >= range.upperBound || bytes[walker.index] == UInt8(ascii: "]") { return items }
        while walker.index < range.upperBound {
            walker.skipWhitespace()
            let start = walker.index
            walker.skipValue()
            items.append(start..<walker.index)
            walker.skipWhitespace()
            if walker.index >= range.upperBound || bytes[walker.index] == UInt8(ascii: "]") { break }
            walker.index += 1
        }
        return items
    }

    /// The members of the object at `range`; keys are raw (escapes left as written).
    public static func members(ofObject range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> [Member] {
        var walker = Scanner(bytes: bytes, index: range.lowerBound)
        guard range.count > 1, bytes[range.lowerBound] == UInt8(ascii: "{") else { return [] }
        walker.index += 1
        var found: [Member] = []
        walker.skipWhitespace()
        if walker.index >= range.upperBound || bytes[walker.index] == UInt8(ascii: "}") { return found }
        while walker.index < range.upperBound {
            walker.skipWhitespace()
            let keyStart = walker.index + 1
            walker.skipValue()
            let key = keyStart..<(walker.index - 1)
            walker.skipWhitespace()
            walker.index += 1 // ':'
            walker.skipWhitespace()
            let valueStart = walker.index
            walker.skipValue()
            found.append(Member(key: key, value: valueStart..<walker.index))
            walker.skipWhitespace()
            if walker.index >= range.upperBound || bytes[walker.index] == UInt8(ascii: "}") { break }
            walker.index += 1
        }
        return found
    }

    /// The one pass, and the skipping walk over bytes it has already vouched for.
    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        var top: [Member] = []
        /// Key ranges of the objects being scanned, innermost last: each object checks its own for duplicates.
        var keys: [Range<Int>] = []

        init(bytes: UnsafeRawBufferPointer, index: Int = 0) {
            self.bytes = bytes
            self.index = index
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> Bool {
            guard depth < JSONObjectScan.maxDepth, index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth, recordTop: false)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string(allowEscapes: true)
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
            default: return false
            }
        }

        mutating func object(depth: Int, recordTop: Bool) -> Bool {
            index += 1
            let firstKey = keys.count
            defer { keys.removeSubrange(firstKey...) }
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return true }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return false }
                let keyStart = index + 1
                // An escaped key could equal another written plainly: leave such objects to the parser.
                guard string(allowEscapes: false) else { return false }
                let key = keyStart..<(index - 1)
                guard keys.count - firstKey < JSONObjectScan.maxMembers else { return false }
                for other in keys[firstKey...] where sameBytes(other, key) { return false }
                keys.append(key)
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
                index += 1
                skipWhitespace()
                let valueStart = index
                guard value(depth: depth + 1) else { return false }
                if recordTop { top.append(Member(key: key, value: valueStart..<index)) }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return true }
                return false
            }
        }

        mutating func array(depth: Int) -> Bool {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return true }
            while true {
                skipWhitespace()
                guard value(depth: depth + 1) else { return false }
                skipWhitespace()
                guard index < bytes.count else { return false }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return true }
                return false
            }
        }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count, JSONObjectScan.equal(bytes, index..<(index + count), text) else { return false }
            index += count
            return true
        }

        mutating func number() -> Bool {
            let (end, valid) = JSONGrammar.number(bytes, from: index)
            index = end
            return valid
        }

        func sameBytes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            guard a.count == b.count else { return false }
            for i in 0..<a.count where bytes[a.lowerBound + i] != bytes[b.lowerBound + i] { return false }
            return true
        }

        /// A string from its opening quote to past its closing one: the parser's rules for escapes and surrogate
        /// pairs, no raw control characters, and the raw bytes between escapes valid UTF-8 (an escape always
        /// yields whole scalars, so that is the same as the parser's check of the decoded string).
        mutating func string(allowEscapes: Bool) -> Bool {
            index += 1
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; return true }
                if b == UInt8(ascii: "\\") {
                    guard allowEscapes, escape() else { return false }
                } else if b < 0x20 {
                    return false
                } else if b < 0x80 {
                    index += 1
                } else {
                    guard utf8Sequence() else { return false }
                }
            }
            return false
        }

        private mutating func escape() -> Bool {
            index += 1
            guard index < bytes.count else { return false }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return true
            case UInt8(ascii: "u"):
                guard let scalar = hex4() else { return false }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        return false
                    }
                    index += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return false }
                    return true
                }
                return !(0xDC00..<0xE000).contains(scalar)
            default:
                return false
            }
        }

        private mutating func hex4() -> UInt32? {
            guard let value = JSONGrammar.hex4(bytes, at: index) else { return nil }
            index += 4
            return value
        }

        /// One well-formed UTF-8 sequence of two to four bytes (Unicode's table 3-7: no overlong forms, no
        /// surrogates, nothing past U+10FFFF).
        private mutating func utf8Sequence() -> Bool {
            let lead = bytes[index]
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= bytes.count else { return false }
            let second = bytes[index + 1]
            guard second >= low, second <= high else { return false }
            for i in 2..<max(2, length) where bytes[index + i] & 0xC0 != 0x80 { return false }
            index += length
            return true
        }

        /// Past the value at `index`, in bytes already vouched for (bounded by the buffer all the same).
        mutating func skipValue() {
            guard index < bytes.count else { return }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1 }
                index = min(index + 1, bytes.count)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        skipValue()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    index += 1
                    if depth == 0 { return }
                }
            default:
                // A number or a literal: up to the next delimiter.
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return
                    default: index += 1
                    }
                }
            }
        }
    }
}
