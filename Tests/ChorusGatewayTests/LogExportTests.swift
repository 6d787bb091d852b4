@testable import ChorusGateway
import Foundation
import Testing

/// `chorus logs export` and `chorus logs`, run as the real executable against a temp config and database.
@Suite struct LogExportTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A temp directory with `chorus.sqlite` holding `rows` and a `chorus.yaml` naming it.
    static func withDatabase(_ rows: [UsageRecord], _ body: (_ config: String, _ dir: URL, _ store: SQLiteStore) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("chorus.sqlite").path
        let store = try SQLiteStore(path: database)
        // In batches, as the usage writer does: one transaction per thousand rows.
        for start in stride(from: 0, to: rows.count, by: 1000) { try await store.appendUsage(Array(rows[start..<min(start + 1000, rows.count)])) }
        let config = dir.appendingPathComponent("chorus.yaml").path
        try "database: \(database)\n".write(toFile: config, atomically: true, encoding: .utf8)
        try await body(config, dir, store)
    }

    /// Runs the built `chorus`; output goes to files so a large export cannot fill a pipe and stall it.
    static func chorus(_ arguments: [String], in dir: URL) throws -> Run {
        let process = Process()
        process.executableURL = try ShutdownTests.chorusBinary()
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"]
        let outPath = dir.appendingPathComponent("stdout-\(UUID().uuidString)")
        let errPath = dir.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        let out = try FileHandle(forWritingTo: outPath)
        let err = try FileHandle(forWritingTo: errPath)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Run(status: process.terminationStatus, stdout: try String(contentsOf: outPath, encoding: .utf8),
                   stderr: try String(contentsOf: errPath, encoding: .utf8))
    }

    /// RFC 4180: cells split on commas outside quotes, `""` inside quotes is one quote, CRLF ends a record.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var cell = ""
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" { cell.unicodeScalars.append("\""); scalars = scalars.dropFirst() } else { quoted = false }
                } else {
                    cell.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(cell)
                cell = ""
            } else if c == "\r", scalars.first == "\n" {
                scalars = scalars.dropFirst()
                record.append(cell)
                records.append(record)
                record = []
                cell = ""
            } else {
                cell.unicodeScalars.append(c)
            }
        }
        if !cell.isEmpty || !record.isEmpty { record.append(cell); records.append(record) }
        return records
    }

    static let columns = ["id"] + UsageRecord.CodingKeys.reportedColumns.map(\.rawValue)

    @Test func exportCSVQuotesCommasQuotesAndNewlines() async throws {
        var hostile = UsageReportTests.row(UsageReportTests.at("2025-01-10", hour: 1), key: 3, cost: 1.5)
        hostile.promptSummary = "say \"hi\", then\nleave"
        hostile.error = "a,b\r\nc \"q\"\r"
        hostile.tried = "x (p): 500; y (q): timeout"
        var plain = UsageReportTests.row(UsageReportTests.at("2025-01-10", hour: 2))
        plain.promptSummary = "plain"
        let outside = UsageReportTests.row(UsageReportTests.at("2025-01-09", hour: 23))
        try await Self.withDatabase([outside, hostile, plain]) { config, dir, _ in
            let file = dir.appendingPathComponent("out.csv")
            let run = try Self.chorus(["logs", "export", "--config", config, "--format", "csv", "--since", "2025-01-10",
                                       "--until", "2025-01-11", "--output", file.path], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.isEmpty && run.stderr.contains("2 rows"))
            let records = Self.parseCSV(try String(contentsOf: file, encoding: .utf8))
            #expect(records.count == 3)
            #expect(records.first == Self.columns)
            let cells = records.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(Self.columns, $0)) }
            #expect(cells.allSatisfy { $0.count == Self.columns.count })
            #expect(cells.map { $0["id"] } == ["2", "3"])
            #expect(cells[0]["prompt_summary"] == hostile.promptSummary)
            #expect(cells[0]["error"] == hostile.error)
            #expect(cells[0]["tried"] == hostile.tried)
            #expect(cells[0]["key_id"] == "3" && cells[1]["key_id"] == "")
            #expect(cells[0]["cost"] == "1.5" && cells[1]["cost"] == "")
            #expect(cells[0]["created_at"].flatMap(Double.init) == hostile.createdAt.timeIntervalSince1970)
            #expect(cells[0]["stream"] == "false" && cells[0]["status"] == "200" && cells[1]["prompt_summary"] == "plain")
        }
    }

    @Test func exportJSONLWritesEveryColumnOldestFirstAcrossPages() async throws {
        let start = UsageReportTests.at("2025-02-01")
        let rows = (0..<2345).map { UsageReportTests.row(start.addingTimeInterval(Double($0)), cost: Double($0) / 10) }
            + [UsageReportTests.row(UsageReportTests.at("2025-03-01"))]
        try await Self.withDatabase(rows) { config, dir, _ in
            let run = try Self.chorus(["logs", "export", "--config", config, "--format", "jsonl", "--since", "2025-02-01",
                                       "--until", "2025-03-01"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 2345)
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count == 2345)
            #expect(objects.allSatisfy { Set($0.keys) == Set(Self.columns) })
            let ids = objects.compactMap { $0["id"] as? Int }
            #expect(ids == Array(1...2345))
            #expect((objects.last?["cost"] as? NSNumber)?.doubleValue == 234.4)
        }
    }

    @Test func exportRefusesBadDatesAndFormats() async throws {
        try await Self.withDatabase([]) { config, dir, _ in
            for arguments in [["--format", "csv", "--since", "yesterday"], ["--format", "xml", "--since", "2025-01-01"],
                              ["--format", "csv", "--since", "2025-01-02", "--until", "2025-01-01"], ["--format", "csv"]] {
                let run = try Self.chorus(["logs", "export", "--config", config] + arguments, in: dir)
                #expect(run.status != 0, "\(arguments)")
                #expect(run.stdout.isEmpty, "\(arguments)")
            }
        }
    }

    @Test func logsWithoutASubcommandStillListsRecentRows() async throws {
        let rows = (0..<5).map { UsageReportTests.row(UsageReportTests.at("2025-01-01", hour: Double($0)), model: "m\($0)", cost: 2) }
        try await Self.withDatabase(rows) { config, dir, _ in
            let run = try Self.chorus(["logs", "--config", config, "--limit", "2"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.count == 3 && lines[0].hasPrefix("TIME\t"))
            #expect(lines[1].contains("\tm4\t") && lines[2].contains("\tm3\t"))
        }
    }
}
