@testable import ChorusWire
import Foundation
import Testing

@Suite struct Base64PayloadTests {
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 57, 1000, 65_537])
    func decodesWhatFoundationEncodesWithAndWithoutPaddingAndLineBreaks(count: Int) throws {
        let data = Self.bytes(count, seed: UInt64(count))
        let encoded = Data(data).base64EncodedString()
        #expect(try Base64Payload.decode(encoded, param: "x", media: "image") == data)
        #expect(Base64Payload.decode(encoded.utf8.filter { $0 != UInt8(ascii: "=") }) == data)
        let wrapped = Data(data).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        #expect(try Base64Payload.decode(" " + wrapped + "\n", param: "x", media: "image") == data)
        let urlSafe = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(try Base64Payload.decode("data:image/png;base64," + urlSafe, param: "x", media: "image") == data)
    }

    @Test(arguments: ["", "Q", "QQ==QQ==", "QUJD====", "QU*D", "héllo", "QQ===", "data:image/png,QUJD", "data:image/png;base64"])
    func malformedInputIsA400NamingTheParameter(text: String) {
        #expect(throws: Base64PayloadError.self) { try Base64Payload.decode(text, param: "image", media: "image") }
    }
}

@Suite struct JSONSerializationTests {
    @Test func stringsWithEscapesAndLongPlainRunsRoundTripThroughTheParser() throws {
        let plain = String(repeating: "QUJD", count: 10_000)
        let tricky = "quote \" backslash \\ newline \n tab \t cr \r bell \u{07} nul \u{00} é 🎵 end"
        let value: JSONValue = ["a": .string(plain), "b": .string(tricky), "c": .string(""), "d": .array([.string(tricky + plain)])]
        let bytes = value.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"\u0007"#) && text.contains(#"\u0000"#) && text.contains(#"\""#))
        let parsed = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        #expect(parsed == value)
        let foundation = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(foundation?["b"] as? String == tricky)
    }
}
