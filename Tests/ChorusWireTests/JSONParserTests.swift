@testable import ChorusWire
import Testing

@Suite struct JSONParserTests {
    @Test func parsesAndKeepsKeyOrderAndNumberText() throws {
        let value = try JSONParser.parse(Array(#"{"b": 1.50, "a": [true, null, "x\n\u00e9\ud83d\ude00"], "c": -0.0e+1}"#.utf8))
        #expect(value.objectValue?.map(\.0) == ["b", "a", "c"])
        #expect(value["b"] == .number("1.50"))
        #expect(value["a"]?.arrayValue?[2] == .string("x\né😀"))
        #expect(value.jsonString == #"{"b":1.50,"a":[true,null,"x\né😀"],"c":-0.0e+1}"#)
    }

    @Test(arguments: [
        "", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "nul", "{} x",
        "\"a\u{01}\"", "[" + String(repeating: "[", count: 300) + String(repeating: "]", count: 301),
    ])
    func rejectsInvalidDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    /// Duplicate keys were found by scanning every earlier member: an object of 100 000 short keys (a 1.5 MB body,
    /// well under the 32 MB limit) took 62 s of CPU in a release build. A dictionary past a few members keeps it
    /// linear (0.14 s) — and finds a duplicate far down such an object.
    @Test func objectWithManyKeysParsesInLinearTimeAndADuplicateFarDownIsFound() throws {
        let count = 100_000
        let text = "{" + (0..<count).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let clock = ContinuousClock()
        let start = clock.now
        let value = try JSONParser.parse(Array((text + "}").utf8))
        #expect(clock.now - start < .seconds(10))
        #expect(value.objectValue?.count == count)
        #expect(value["k5"] == 5)
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(Array((text + ",\"k5\":\"again\"}").utf8)) }
        #expect(error?.key == "k5")
    }

    /// `{"stream":true,"stream":false}`: Chorus acted on the last value and forwarded both, so the provider could
    /// read the other one. Two readings of one request are refused instead.
    @Test func duplicateKeyIsRefusedNamingTheKey() {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"stream":true,"a":{"x":1},"stream":false}"#.utf8)) }
        #expect(error?.key == "stream")
        #expect(error?.offset == 27)
        #expect(error?.description == "Duplicate key 'stream' at byte 27")
        let nested = #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"a":{"x":1,"x":2}}"#.utf8)) }
        #expect(nested?.key == "x")
        #expect(throws: Never.self) { try JSONParser.parse(Array(#"{"a":{"x":1},"b":{"x":2}}"#.utf8)) }
    }

    @Test func mergingKeepsRequestValuesAndFillsDefaults() {
        let request: JSONValue = ["model": "m", "temperature": 1, "extra": ["a": 1]]
        let merged = request.merging(defaults: ["temperature": 0, "top_p": 1, "extra": ["a": 2, "b": 3]])
        #expect(merged["temperature"] == 1)
        #expect(merged["top_p"] == 1)
        #expect(merged["extra"] == ["a": 1, "b": 3])
    }
}
