@testable import ChorusGateway
import Foundation
import Logging
import Testing

@Suite struct LineLogHandlerTests {
    /// The same line StreamLogHandler wrote (operators' log parsers read it): timestamp, level, label, the metadata
    /// sorted by key, the source and the message.
    @Test func linesKeepTheStreamLogHandlerFormat() {
        let line = LineLogHandler.line(timestamp: "2026-12-07T04:22:44+0000", level: .info, label: "chorus",
                                       metadata: ["chorus.route": "/chat/completions", "chorus.status": "200", "a": .array(["x"])],
                                       source: "ChorusGateway", message: "request")
        #expect(line == #"2026-12-07T04:22:44+0000 info chorus: a=["x"] chorus.route=/chat/completions chorus.status=200 [ChorusGateway] request"# + "\n")
        #expect(LineLogHandler.line(timestamp: "T", level: .error, label: "", metadata: [:], source: "S", message: "m") == "T error: [S] m\n")
    }

    @Test func aLoggerWritesOneLineWithItsOwnAndTheCallsMetadata() throws {
        let pipe = Pipe()
        var handler = LineLogHandler(label: "chorus.test", fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, metadataProvider: nil)
        handler[metadataKey: "handler"] = "kept"
        var logger = Logger(label: "chorus.test") { _ in handler }
        logger.logLevel = .info
        logger.debug("not written")
        logger.info("request", metadata: ["chorus.status": "200"])
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix(" info chorus.test: chorus.status=200 handler=kept [ChorusGatewayTests] request"))
        // 2026-12-07T04:22:44+0000: the local time to the second with its offset.
        #expect(line.prefix(24).count == 24 && line.dropFirst(10).first == "T")
    }
}
