import Foundation
import GRDB

/// `created_at` is Unix seconds (DOUBLE), as the v1 migration's column expects.
extension UsageRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "generation_logs"

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

extension LogRow: FetchableRecord, TableRecord {
    public static let databaseTableName = UsageRecord.databaseTableName

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }
}

extension LogRow.CodingKeys: ColumnExpression {}

extension UsageRecord {
    /// Every stored column, in `CodingKeys` order.
    static let insertSQL: String = {
        let columns = CodingKeys.allCases.map(\.rawValue)
        return "INSERT INTO generation_logs (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
    }()

    /// The row's values for `insertSQL`. Written out rather than through `PersistableRecord`'s Codable encoding,
    /// which cost ~170,000 instructions per row (a keyed container per column, date strategies, a dictionary of
    /// column names) — the largest single item of a proxied request's profile (bench/PROFILE.md). The switch has no
    /// default, so a new column does not compile until it is written here too. Values go in as existentials, which
    /// GRDB converts one witness call each; a `[DatabaseValue]` took its generic key-path `map`, ~1,800 instructions a value.
    var insertArguments: StatementArguments {
        StatementArguments(CodingKeys.allCases.map { key -> (any DatabaseValueConvertible)? in
            switch key {
            case .createdAt: createdAt.timeIntervalSince1970
            case .requestID: requestID
            case .keyID: keyID
            case .model: model
            case .provider: provider
            case .route: route
            case .status: status
            case .stream: stream
            case .promptSummary: promptSummary
            case .promptTokens: promptTokens
            case .completionTokens: completionTokens
            case .totalTokens: totalTokens
            case .characters: characters
            case .audioSeconds: audioSeconds
            case .images: images
            case .imageSize: imageSize
            case .ttfbMs: ttfbMs
            case .latencyMs: latencyMs
            case .bytesIn: bytesIn
            case .bytesOut: bytesOut
            case .error: error
            case .tried: tried
            case .cost: cost
            case .unauthenticated: unauthenticated
            case .entryID: entryID
            case .inputAudioTokens: inputAudioTokens
            case .outputAudioTokens: outputAudioTokens
            case .sessionSeconds: sessionSeconds
            }
        })
    }
}
