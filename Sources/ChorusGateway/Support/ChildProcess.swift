import CProcessShims
import Foundation
import NIOConcurrencyHelpers

/// A program run to its end: its standard input fed from memory, its standard output collected, killed past a
/// deadline. Blocking: call it on a thread pool (`Offload`), never an event loop.
///
/// Not Foundation's `Process`: on Linux (Swift 6.3.1) its `run()` now and then crashes reading past a buffer while
/// it lists /proc/self/fd, once more than ~1 350 descriptors are open (swift-corelibs-foundation PR 5472) — which a
/// gateway with many connections has. Seen here as a SIGSEGV in `Process.run` during the PostgreSQL test pass.
struct ChildProcess {
    struct Outcome {
        var status: Int32
        var output: [UInt8]
        /// Killed at the deadline.
        var timedOut: Bool
    }

    enum Failure: Error, CustomStringConvertible {
        case notStarted(errno: Int32)

        var description: String {
            switch self {
            case .notStarted(let code): "it did not start (errno \(code))"
            }
        }
    }

    /// Runs `executable` with `arguments`, `input` on its standard input (nil: /dev/null); standard error is dropped.
    static func run(_ executable: String, _ arguments: [String], input: [UInt8]? = nil,
                    timeout: Duration? = nil) throws(Failure) -> Outcome {
        _ = brokenPipesIgnored
        var outputPipe: [Int32] = [-1, -1]
        guard chorus_pipe_cloexec(&outputPipe) == 0 else { throw .notStarted(errno: errno) }
        var inputPipe: [Int32] = [-1, -1]
        if input != nil, chorus_pipe_cloexec(&inputPipe) != 0 {
            let code = errno
            close(outputPipe[0])
            close(outputPipe[1])
            throw .notStarted(errno: code)
        }
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let result = chorus_spawn(executable, argv, inputPipe[0], outputPipe[1], &pid)
        // The child has its own copies; these ends are not ours to keep.
        close(outputPipe[1])
        if inputPipe[0] >= 0 { close(inputPipe[0]) }
        guard result == 0 else {
            close(outputPipe[0])
            if inputPipe[1] >= 0 { close(inputPipe[1]) }
            throw .notStarted(errno: result)
        }

        // Fed from another thread: the child may fill its output pipe before it has read all of its input.
        if let input {
            let writeEnd = inputPipe[1]
            let feeder = Thread {
                input.withUnsafeBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(writeEnd, base + offset, bytes.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            break  // the child stopped reading (EPIPE): it answers with its exit status
                        }
                        offset += written
                    }
                }
                close(writeEnd)
            }
            feeder.start()
        }

        // Killed at the deadline unless already reaped (the flag keeps a reused pid safe from a late kill).
        let state = NIOLockedValueBox((reaped: false, killed: false))
        let child = pid
        if let timeout {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                state.withLockedValue { state in
                    guard !state.reaped else { return }
                    state.killed = true
                    kill(child, SIGKILL)
                }
            }
        }

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
            if count > 0 {
                output.append(contentsOf: buffer[0..<count])
            } else if count < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(outputPipe[0])

        // Waited for without reaping first, so the pid cannot be reused while the deadline could still kill it.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0, errno == EINTR {}
        let killed = state.withLockedValue { state in
            state.reaped = true
            return state.killed
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import (macros).
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitStatus, output: output, timedOut: killed)
    }

    /// A write to the pipe of a child that was killed (or died) would raise SIGPIPE, whose default action ends the
    /// whole gateway; ignored, the write fails with EPIPE instead (NIO's sockets never raise it, so nothing else
    /// changes). Set once, before the first child.
    private static let brokenPipesIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}
