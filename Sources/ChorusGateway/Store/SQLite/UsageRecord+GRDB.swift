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
    /// default, so a new column does not compile until it is written here too.
    var insertArguments: StatementArguments {
        StatementArguments(CodingKeys.allCases.map { key -> DatabaseValue in
            switch key {
            case .createdAt: createdAt.timeIntervalSince1970.databaseValue
            case .requestID: requestID.databaseValue
            case .keyID: keyID.databaseValue
            case .model: model.databaseValue
            case .provider: provider.databaseValue
            case .route: route.databaseValue
            case .status: status.databaseValue
            case .stream: stream.databaseValue
            case .promptSummary: promptSummary.databaseValue
            case .promptTokens: promptTokens.databaseValue
            case .completionTokens: completionTokens.databaseValue
            case .totalTokens: totalTokens.databaseValue
            case .characters: characters.databaseValue
            case .audioSeconds: audioSeconds.databaseValue
            case .images: images.databaseValue
            case .imageSize: imageSize.databaseValue
            case .ttfbMs: ttfbMs.databaseValue
            case .latencyMs: latencyMs.databaseValue
            case .bytesIn: bytesIn.databaseValue
            case .bytesOut: bytesOut.databaseValue
            case .error: error.databaseValue
            case .tried: tried.databaseValue
            case .cost: cost.databaseValue
            case .unauthenticated: unauthenticated.databaseValue
            case .entryID: entryID.databaseValue
            case .inputAudioTokens: inputAudioTokens.databaseValue
            case .outputAudioTokens: outputAudioTokens.databaseValue
            case .sessionSeconds: sessionSeconds.databaseValue
            }
        })
    }
}
