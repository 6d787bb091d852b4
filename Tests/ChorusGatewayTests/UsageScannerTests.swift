@testable import ChorusGateway
import NIOCore
import Testing

@Suite struct UsageScannerTests {
    /// A row's prompt summary: line breaks become spaces and it stops at 200 characters, whether the text takes the
    /// short path (short ASCII, kept as it is) or not.
    @Test(arguments: [
        ("Say hello", "Say hello"), ("tab\there", "tab\there"), ("two\nlines\r\nthree", "two lines three"),
        ("café 😀", "café 😀"), (String(repeating: "a", count: 200), String(repeating: "a", count: 200)),
        (String(repeating: "a", count: 201), String(repeating: "a", count: 200) + "…"),
        (String(repeating: "é", count: 150), String(repeating: "é", count: 150)),
        (String(repeating: "é", count: 201), String(repeating: "é", count: 200) + "…"),
    ])
    func promptSummariesFlattenLinesAndStopAt200Characters(text: String, summary: String) {
        #expect(UsageRecord.summarize(text) == summary)
    }

    /// An open stream holds a bounded head and tail, however long it runs (it used to keep the first 256 KiB of
    /// every stream), and still finds the final usage chunk.
    @Test func usageScannerHoldsABoundedAmountOfALongStream() {
        var scanner = UsageScanner()
        let event = ByteBuffer(string: "data: {\"choices\":[{\"delta\":{\"content\":\"" + String(repeating: "x", count: 200) + "\"}}]}\n\n")
        for _ in 0..<5_000 { scanner.feed(event) }  // ~1.1 MB
        scanner.feed(.init(string: "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\ndata: [DONE]\n\n"))
        #expect(scanner.retainedBytes <= UsageScanner.headSize + 2 * UsageScanner.tailSize)
        #expect(scanner.totalBytes > 1_000_000)
        let tokens = scanner.tokens()
        #expect(tokens?.prompt == 9 && tokens?.completion == 4 && tokens?.total == 13)
    }

    @Test func usageScannerFindsUsageAtTheStartOfALargeBodyAndAcrossTheHeadsEnd() {
        var first = UsageScanner()
        first.feed(.init(string: #"{"usage":{"prompt_tokens":3,"total_tokens":3},"data":[""# + String(repeating: "1,", count: 60_000) + "1]}"))
        #expect(first.tokens()?.prompt == 3)

        // The usage object starts before the 16 KiB head ends and finishes after it.
        let padding = String(repeating: " ", count: UsageScanner.headSize - 20)
        var straddling = UsageScanner()
        straddling.feed(.init(string: #"{"data":[],"# + padding + #""usage":{"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}"#))
        #expect(straddling.tokens()?.total == 8)
    }

    @Test func usageScannerFindsTheLastUsageObjectInAStream() {
        var scanner = UsageScanner()
        scanner.feed(.init(string: "data: {\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\ndata: [DONE]\n\n"))
        let tokens = scanner.tokens()
        #expect(tokens?.prompt == 5 && tokens?.completion == 2 && tokens?.total == 7)
    }
}
