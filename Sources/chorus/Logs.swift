import ArgumentParser
import ChorusGateway
import Foundation

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print recent usage rows, newest first.")
    @OptionGroup var options: ConfigOption
    @Option(help: "How many rows.") var limit = 20

    /// Callers chose the prompt and parts of errors: a tab or newline in them must not make a cell or a row.
    static func oneCell(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let rows = try await openStorage(database: config.database).recentUsage(limit: max(1, limit))
        let time = ISO8601DateFormatter()
        print(["TIME", "KEY", "ROUTE", "MODEL", "PROVIDER", "STATUS", "TOKENS", "TTFB_MS", "MS", "IN", "OUT", "PROMPT", "ERROR", "TRIED"]
            .joined(separator: "\t"))
        for row in rows {
            let tokens = row.totalTokens.map { "\($0)" } ?? "-"
            print([
                time.string(from: row.createdAt), row.keyID.map(String.init) ?? "master", row.route, row.model ?? "-",
                row.provider ?? "-", String(row.status), tokens, row.ttfbMs.map { String(format: "%.1f", $0) } ?? "-",
                String(format: "%.1f", row.latencyMs), String(row.bytesIn), String(row.bytesOut),
                row.promptSummary ?? "", row.error ?? "", row.tried ?? "",
            ].map(Self.oneCell).joined(separator: "\t"))
        }
    }
}
