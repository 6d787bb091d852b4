import ArgumentParser
import ChorusGateway
import Foundation

/// `chorus logs` (recent rows, the default) and `chorus logs export`.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Usage rows: print recent ones, or export a window of them.",
        subcommands: [List.self, Export.self],
        defaultSubcommand: List.self)

    /// Callers chose the prompt and parts of errors: a tab or newline in them must not make a cell or a row.
    static func oneCell(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print recent usage rows, newest first.")
        @OptionGroup var options: ConfigOption
        @Option(help: "How many rows.") var limit = 20

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let rows = try await openStorage(database: config.database).recentUsage(limit: max(1, limit))
            let time = ISO8601DateFormatter()
            print(["TIME", "KEY", "ROUTE", "MODEL", "PROVIDER", "STATUS", "TOKENS", "COST", "TTFB_MS", "MS", "IN", "OUT", "PROMPT", "ERROR", "TRIED"]
                .joined(separator: "\t"))
            for row in rows {
                let tokens = row.totalTokens.map { "\($0)" } ?? "-"
                let cost = row.cost.map { String($0) } ?? "-"
                let ttfb = row.ttfbMs.map { String(format: "%.1f", $0) } ?? "-"
                let cells: [String] = [
                    time.string(from: row.createdAt), row.unauthenticated ? "none" : row.keyID.map(String.init) ?? "master", row.route, row.model ?? "-",
                    row.provider ?? "-", String(row.status), tokens, cost, ttfb,
                    String(format: "%.1f", row.latencyMs), String(row.bytesIn), String(row.bytesOut),
                    row.promptSummary ?? "", row.error ?? "", row.tried ?? "",
                ]
                print(cells.map(Logs.oneCell).joined(separator: "\t"))
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every column of the usage rows in a window, oldest first, as CSV or JSON Lines.",
            discussion: """
                The window is [--since, --until): Unix seconds or YYYY-MM-DD (midnight UTC); --until defaults to now.
                Rows are read and written a page at a time, so any number of rows fits in little memory.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "csv or jsonl.") var format: LogExportFormat
        @Option(help: "First moment included: Unix seconds or YYYY-MM-DD (UTC).") var since: String
        @Option(help: "First moment excluded: Unix seconds or YYYY-MM-DD (UTC); default now.") var until: String?
        @Option(help: "Write to this file instead of standard output.") var output: String?

        static let pageSize = 1000

        func validate() throws {
            guard let start = UsageTime.parse(since) else { throw ValidationError("--since must be Unix seconds or YYYY-MM-DD") }
            if let until {
                guard let end = UsageTime.parse(until) else { throw ValidationError("--until must be Unix seconds or YYYY-MM-DD") }
                if start > end { throw ValidationError("--since is after --until") }
            }
        }

        func run() async throws {
            let config = try loadConfigOrExit(options.config)
            let store = try await openStorage(database: config.database)
            let out: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    FileHandle.standardError.write(Data("error: cannot create \(output)\n".utf8))
                    throw ExitCode(1)
                }
                out = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            } else {
                out = FileHandle.standardOutput
            }
            defer { if output != nil { try? out.close() } }
            // The window's end is fixed now: rows written while the export runs do not stretch it.
            var query = UsageQuery(since: UsageTime.parse(since), until: until.flatMap(UsageTime.parse) ?? Date(),
                                   order: .oldestFirst(after: nil), limit: Self.pageSize)
            if let header = format.header { try out.write(contentsOf: Data(header.utf8)) }
            var written = 0
            while true {
                let page = try await store.usageRows(query)
                guard let last = page.last else { break }
                try out.write(contentsOf: Data(page.map(format.line).joined().utf8))
                written += page.count
                guard page.count == Self.pageSize else { break }
                query.order = .oldestFirst(after: last.id)
            }
            if output != nil { FileHandle.standardError.write(Data("\(written) rows written to \(output ?? "")\n".utf8)) }
        }
    }
}

extension LogExportFormat: ExpressibleByArgument {}
