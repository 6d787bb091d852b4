import ArgumentParser
import ChorusGateway
import Foundation

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print recent usage rows, newest first.")
    @OptionGroup var options: ConfigOption
    @Option(help: "How many rows.") var limit = 20

    func run() async throws {
        let config = try loadConfigOrExit(options.config)
        let rows = try await openStorage(database: config.database).recentUsage(limit: max(1, limit))
        let time = ISO8601DateFormatter()
        print(["TIME", "KEY", "ROUTE", "MODEL", "PROVIDER", "STATUS", "TOKENS", "TTFB_MS", "MS", "IN", "OUT", "PROMPT", "ERROR"]
            .joined(separator: "\t"))
        for row in rows {
            let tokens = row.totalTokens.map { "\($0)" } ?? "-"
            print([
                time.string(from: row.createdAt), row.keyID.map(String.init) ?? "master", row.route, row.model ?? "-",
                row.provider ?? "-", String(row.status), tokens, row.ttfbMs.map { String(format: "%.1f", $0) } ?? "-",
                String(format: "%.1f", row.latencyMs), String(row.bytesIn), String(row.bytesOut),
                row.promptSummary ?? "", row.error ?? "",
            ].joined(separator: "\t"))
        }
    }
}
