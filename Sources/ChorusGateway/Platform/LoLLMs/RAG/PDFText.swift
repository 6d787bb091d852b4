import Foundation
import NIOConcurrencyHelpers

/// The text of a PDF, from poppler-utils' `pdftotext - -` (installed by scripts/setup): the bytes go to its
/// standard input and its standard output is the text. It runs on the thread pool, never an event loop, and is
/// killed after `timeout` (a hostile PDF can keep it busy for long).
enum PDFText {
    static let timeout: Duration = .seconds(30)

    static func extract(_ pdf: [UInt8], timeout: Duration = timeout) async throws(GatewayError) -> String {
        guard let executable = locate("pdftotext") else {
            throw .notImplemented("Reading PDF documents needs poppler-utils' pdftotext on the gateway's host.", param: "file")
        }
        return try await Offload.run { () throws(GatewayError) in try run(executable, pdf: pdf, timeout: timeout) }
    }

    private static func run(_ executable: URL, pdf: [UInt8], timeout: Duration) throws(GatewayError) -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-enc", "UTF-8", "-", "-"]
        _ = brokenPipesIgnored
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .internalError("pdftotext did not start: \(error)")
        }
        // Written from another thread: pdftotext may fill its output pipe before it has read all of its input.
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: pdf)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let killed = NIOLockedValueBox(false)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if process.isRunning {
                killed.withLockedValue { $0 = true }
                process.terminate()
            }
        }
        let text = (try? output.fileHandleForReading.readToEnd()) ?? Data()
        process.waitUntilExit()
        if killed.withLockedValue({ $0 }) {
            throw .invalidParameter("file", "The PDF took longer than \(Int(seconds)) s to read; it was not stored.")
        }
        guard process.terminationStatus == 0 else {
            throw .invalidParameter("file", "'file' is not a readable PDF document.")
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A write to the pipe of a pdftotext that was killed (or died) would raise SIGPIPE, whose default action ends
    /// the whole gateway; ignored, the write fails with EPIPE instead (NIO's sockets never raise it, so nothing else
    /// changes). Set once, before the first extraction.
    private static let brokenPipesIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private static func locate(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
