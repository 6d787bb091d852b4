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
    /// linear (0.14 s).
    @Test func objectWithManyKeysParsesInLinearTimeAndTheLastDuplicateStillWins() throws {
        let count = 100_000
        var text = "{" + (0..<count).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        text += ",\"k5\":\"last\",\"k\(count - 1)\":\"end\"}"
        let clock = ContinuousClock()
        let start = clock.now
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(clock.now - start < .seconds(10))
        #expect(value.objectValue?.count == count)
        #expect(value["k5"] == "last")
        #expect(value["k\(count - 1)"] == "end")
        #expect(value.objectValue?[5].0 == "k5")
        let small = try JSONParser.parse(Array(#"{"a":1,"b":2,"a":3}"#.utf8))
        #expect(small.objectValue?.map(\.0) == ["a", "b"])
        #expect(small["a"] == 3)
    }

    @Test func mergingKeepsRequestValuesAndFillsDefaults() {
        let request: JSONValue = ["model": "m", "temperature": 1, "extra": ["a": 1]]
        let merged = request.merging(defaults: ["temperature": 0, "top_p": 1, "extra": ["a": 2, "b": 3]])
        #expect(merged["temperature"] == 1)
        #expect(merged["top_p"] == 1)
        #expect(merged["extra"] == ["a": 1, "b": 3])
    }
}
