import Logging
import NIOConcurrencyHelpers

/// Keeps every log line (message and metadata) a gateway writes.
final class CapturedLogs: Sendable {
    private let lines = NIOLockedValueBox<[(message: String, metadata: [String: String])]>([])

    var all: [(message: String, metadata: [String: String])] { lines.withLockedValue { $0 } }

    func append(_ message: String, _ metadata: Logger.Metadata) {
        lines.withLockedValue { $0.append((message, metadata.mapValues { "\($0)" })) }
    }

    /// Everything from `level` up; `.trace` for checks that something never reaches any log line.
    func logger(level: Logger.Level = .info) -> Logger {
        Logger(label: "captured") { _ in Handler(logs: self, logLevel: level) }
    }

    /// Each line as one string (message, then metadata), for substring checks.
    var text: String {
        all.map { line in ([line.message] + line.metadata.map { "\($0.key)=\($0.value)" }.sorted()).joined(separator: " ") }
            .joined(separator: "\n")
    }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        init(logs: CapturedLogs, logLevel: Logger.Level) {
            self.logs = logs
            self.logLevel = logLevel
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            logs.append(event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}
