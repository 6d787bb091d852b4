import ChorusWire
import Foundation

extension LogRow {
    /// Every column of the row, `id` first then the table's order, as JSON values (null where the row has none).
    /// `/admin/logs` and `chorus logs export` both write these, so a row reads the same everywhere.
    public var fields: [(String, JSONValue)] {
        [("id", .number(Int(id)))] + UsageRecord.CodingKeys.reportedColumns.map { column in (column.rawValue, value(of: column)) }
    }

    /// Exhaustive over the columns: a column added to `UsageRecord` does not compile until it is rendered here.
    private func value(of column: UsageRecord.CodingKeys) -> JSONValue {
        func integer(_ value: Int?) -> JSONValue { value.map { JSONValue.number($0) } ?? .null }
        func decimal(_ value: Double?) -> JSONValue { value.map { JSONValue.number($0) } ?? .null }
        func string(_ value: String?) -> JSONValue { value.map { JSONValue.string($0) } ?? .null }
        switch column {
        case .createdAt: return .number(usage.createdAt.timeIntervalSince1970)
        case .requestID: return .string(usage.requestID)
        case .keyID: return integer(usage.keyID.map { Int($0) })
        case .model: return string(usage.model)
        case .provider: return string(usage.provider)
        case .route: return .string(usage.route)
        case .status: return .number(usage.status)
        case .stream: return .bool(usage.stream)
        case .promptSummary: return string(usage.promptSummary)
        case .promptTokens: return integer(usage.promptTokens)
        case .completionTokens: return integer(usage.completionTokens)
        case .totalTokens: return integer(usage.totalTokens)
        case .characters: return integer(usage.characters)
        case .audioSeconds: return decimal(usage.audioSeconds)
        case .images: return integer(usage.images)
        case .imageSize: return string(usage.imageSize)
        case .ttfbMs: return decimal(usage.ttfbMs)
        case .latencyMs: return .number(usage.latencyMs)
        case .bytesIn: return .number(usage.bytesIn)
        case .bytesOut: return .number(usage.bytesOut)
        case .error: return string(usage.error)
        case .tried: return string(usage.tried)
        case .cost: return decimal(usage.cost)
        case .unauthenticated: return .bool(usage.unauthenticated)
        case .entryID: return string(usage.entryID)
        case .inputAudioTokens: return integer(usage.inputAudioTokens)
        case .outputAudioTokens: return integer(usage.outputAudioTokens)
        case .sessionSeconds: return decimal(usage.sessionSeconds)
        }
    }

    public var json: JSONValue { .object(fields) }
}
