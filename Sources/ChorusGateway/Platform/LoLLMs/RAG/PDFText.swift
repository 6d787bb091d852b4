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
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(executable.path, ["-enc", "UTF-8", "-", "-"], input: pdf, timeout: timeout)
        } catch {
            throw .internalError("pdftotext did not start: \(error)")
        }
        if outcome.timedOut {
            throw .invalidParameter("file", "The PDF took longer than \(Int(timeout.components.seconds)) s to read; it was not stored.")
        }
        guard outcome.status == 0 else {
            throw .invalidParameter("file", "'file' is not a readable PDF document.")
        }
        return String(decoding: outcome.output, as: UTF8.self)
    }

    private static func locate(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
