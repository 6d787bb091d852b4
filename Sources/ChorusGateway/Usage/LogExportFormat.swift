import ChorusWire
import Foundation

/// How `chorus logs export` writes rows: CSV (RFC 4180) or JSON Lines, every column of `LogRow.fields`.
public enum LogExportFormat: String, Sendable, CaseIterable {
    case csv
    case jsonl

    /// The first line, if the format has one (CSV's column names).
    public var header: String? {
        switch self {
        case .csv: (["id"] + UsageRecord.CodingKeys.reportedColumns.map(\.rawValue)).map(Self.csvCell).joined(separator: ",") + "\r\n"
        case .jsonl: nil
        }
    }

    /// One row, with its line ending.
    public func line(_ row: LogRow) -> String {
        switch self {
        case .jsonl:
            // The serialiser escapes newlines inside strings, so one row is always one line.
            return row.json.jsonString + "\n"
        case .csv:
            return row.fields.map { _, value in
                switch value {
                case .null: ""
                case .bool(let flag): flag ? "true" : "false"
                case .number(let text): text
                case .string(let text): Self.csvCell(text)
                case .array, .object: Self.csvCell(value.jsonString)
                }
            }.joined(separator: ",") + "\r\n"
        }
    }

    /// Callers write prompts and parts of errors: a comma, quote or line break in them is quoted (quotes doubled),
    /// so it stays inside its cell. A leading `=`, `+`, `-` or `@` is left as is — the export is data, and a
    /// spreadsheet user who opens it should import it as text.
    static func csvCell(_ text: String) -> String {
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
