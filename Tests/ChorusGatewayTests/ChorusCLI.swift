import Foundation

/// Runs this build's `chorus` with `arguments` and waits for it: its exit status and what it printed (stdout, and
/// stderr too when `withErrors`).
func runChorus(_ arguments: [String], environment: [String: String]? = nil, withErrors: Bool = false) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = try ShutdownTests.chorusBinary()
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    if withErrors { process.standardError = pipe }
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
