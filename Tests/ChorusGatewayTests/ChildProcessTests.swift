import Foundation
import Testing

@testable import ChorusGateway

/// The gateway's child processes (pdftotext) run through posix_spawn, not Foundation's Process (see ChildProcess).
@Suite struct ChildProcessTests {
    @Test func inputGoesInAndOutputComesBackWithTheExitStatus() throws {
        let input = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let echoed = try ChildProcess.run("/bin/cat", [], input: input)
        #expect(echoed.status == 0 && !echoed.timedOut)
        #expect(echoed.output == input, "a body larger than a pipe's buffer went through both ways")
        #expect(try ChildProcess.run("/bin/sh", ["-c", "exit 3"]).status == 3)
        #expect(try ChildProcess.run("/bin/sh", ["-c", "echo hi >&2"]).output.isEmpty, "standard error is dropped")
    }

    @Test func aChildPastItsDeadlineIsKilled() throws {
        let start = ContinuousClock.now
        let outcome = try ChildProcess.run("/bin/sleep", ["30"], timeout: .milliseconds(300))
        #expect(outcome.timedOut)
        #expect(outcome.status != 0)
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func aMissingProgramIsAnErrorNotACrash() {
        #expect(throws: ChildProcess.Failure.self) { try ChildProcess.run("/nonexistent/program", []) }
    }

    @Test func noDescriptorOfTheGatewayReachesTheChild() throws {
        // An open descriptor without close-on-exec, as a socket might be: the child must not see it.
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        let listing = try ChildProcess.run("/bin/ls", ["/proc/self/fd"])
        let fds = String(decoding: listing.output, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        #expect(!fds.contains(fd), "descriptors in the child: \(fds)")
        #expect(fds.allSatisfy { $0 <= 3 }, "descriptors in the child: \(fds)")
    }
}
