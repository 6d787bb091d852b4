@testable import ChorusWire
import Testing

@Suite struct JSONObjectScanTests {
    /// The scan's top-level members, each parsed from its own range, against the parser's members.
    static func agree(_ text: [UInt8]) throws -> Bool? {
        try text.withUnsafeBytes { raw -> Bool? in
            guard let scan = JSONObjectScan.scan(raw) else { return nil }
            let parsed = try JSONParser.parse(text)
            let members = try scan.members.map { member in
                (String(decoding: raw[member.key], as: UTF8.self), try JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[member.value])))
            }
            return parsed.objectValue.map { $0.elementsEqual(members) { $0.0 == $1.0 && $0.1 == $1.1 } } ?? false
        }
    }

    /// Whether a document the parser accepts has a key written with an escape, at any depth (found with the
    /// walkers, which need a valid document).
    static func hasEscapedKey(_ text: [UInt8]) -> Bool {
        text.withUnsafeBytes { raw in
            func escaped(_ range: Range<Int>) -> Bool {
                switch raw[range.lowerBound] {
                case UInt8(ascii: "{"):
                    return JSONObjectScan.members(ofObject: range, in: raw).contains { raw[$0.key].contains(0x5C) || escaped($0.value) }
                case UInt8(ascii: "["):
                    return JSONObjectScan.elements(ofArray: range, in: raw).contains(where: escaped)
                default:
                    return false
                }
            }
            let start = raw.firstIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D } ?? 0
            let end = (raw.lastIndex { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D } ?? 0) + 1
            return escaped(start..<end)
        }
    }

    static let chat = Array("""
        { "model" : "gpt-4o", "messages": [{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text",
        "text":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" é😀"}]}], "temperature": -1.5e+2, "stream": true, "stop": null, "n": 0,
        "tools": [], "meta": {} }
        """.utf8)

    @Test func membersOfAChatBodyAreWhereTheParserFindsThem() throws {
        #expect(try Self.agree(Self.chat) == true)
        try Self.chat.withUnsafeBytes { raw in
            let scan = try #require(JSONObjectScan.scan(raw))
            #expect(scan.members.count == 8)
            let model = try #require(scan.value("model", in: raw))
            #expect(String(decoding: raw[model], as: UTF8.self) == "\"gpt-4o\"")
            let messages = try #require(scan.value("messages", in: raw))
            let elements = JSONObjectScan.elements(ofArray: messages, in: raw)
            #expect(elements.count == 2)
            let last = JSONObjectScan.members(ofObject: try #require(elements.last), in: raw)
            #expect(last.map { String(decoding: raw[$0.key], as: UTF8.self) } == ["role", "content"])
            #expect(scan.value("absent", in: raw) == nil)
            #expect(JSONObjectScan.elements(ofArray: try #require(scan.value("tools", in: raw)), in: raw).isEmpty)
            #expect(JSONObjectScan.members(ofObject: try #require(scan.value("meta", in: raw)), in: raw).isEmpty)
        }
    }

    @Test(arguments: [
        "", " ", "{", "{\"a\"}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":nul}",
        "{} x", "{\"a\":\"\u{01}\"}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":[{\"c\":1,\"c\":1}]}",
        "{\"a\":tru}", "{\"a\":1e}", "{\"a\":\"unterminated}",
    ])
    func refusesWhatTheParserRefuses(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { JSONObjectScan.scan($0) } == nil)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0x80], [0xC3], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xE2, 0x28, 0xA1], [0xC3, 0x5C, 0x6E],
    ] as [[UInt8]])
    func refusesInvalidUTF8LikeTheParser(sequence: [UInt8]) {
        let bytes = Array("{\"a\":\"x".utf8) + sequence + Array("\"}".utf8)
        #expect(bytes.withUnsafeBytes { JSONObjectScan.scan($0) } == nil)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test(arguments: [
        [0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
    ] as [[UInt8]])
    func acceptsWellFormedUTF8(sequence: [UInt8]) throws {
        let bytes = Array("{\"a\":\"x".utf8) + sequence + Array("\"}".utf8)
        #expect(try Self.agree(bytes) == true)
    }

    /// What the scan leaves to the parser: a caller parses such bodies whole, and gets the parser's answer (for a
    /// document that is not an object, the route's own "must be a JSON object").
    @Test(arguments: [
        "[1]", "\"x\"", "null",
        "{\"mod\\u0065l\":1}",
        "{" + (0..<65).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}",
        "{\"a\":" + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}",
    ])
    func leavesEscapedKeysWideObjectsAndDeepNestingToTheParser(text: String) throws {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { JSONObjectScan.scan($0) } == nil)
        _ = try JSONParser.parse(bytes)
    }

    /// Every truncation and every one-byte change of a chat body: whatever the scan accepts, the parser accepts
    /// with the same members; and the parser's objects the scan can vouch for (no escaped keys) it does accept.
    @Test func everyTruncationAndOneByteChangeAgreesWithTheParser() throws {
        let replacements: [UInt8] = [0x00, 0x22, 0x5C, 0x2C, 0x3A, 0x7B, 0x7D, 0x5B, 0x5D, 0x30, 0x65, 0x2D, 0x20, 0x80, 0xC3, 0xFF]
        var variants: [[UInt8]] = (0..<Self.chat.count).map { Array(Self.chat[..<$0]) }
        for index in Self.chat.indices {
            for byte in replacements where byte != Self.chat[index] {
                var changed = Self.chat
                changed[index] = byte
                variants.append(changed)
            }
        }
        var accepted = 0
        for variant in variants {
            let parses = (try? JSONParser.parse(variant))?.objectValue != nil
            switch Result(catching: { try Self.agree(variant) }) {
            case .success(.some(let same)):
                #expect(same, "members differ: \(String(decoding: variant, as: UTF8.self))")
                accepted += 1
            case .success(.none):
                #expect(!parses || Self.hasEscapedKey(variant),
                        "the parser accepts what the scan refused: \(String(decoding: variant, as: UTF8.self))")
            case .failure:
                Issue.record("the scan accepted what the parser refuses: \(String(decoding: variant, as: UTF8.self))")
            }
        }
        #expect(accepted > 100)
    }
}
