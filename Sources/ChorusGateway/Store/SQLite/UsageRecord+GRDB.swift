import Foundation
import GRDB
import GRDBSQLite

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
    /// Every stored column, in `CodingKeys` order. A row already written (same `entry_id`: a batch retried after a
    /// write whose outcome was unknown) is skipped by the conflict clause rather than looked up first.
    static let insertSQL: String = {
        let columns = CodingKeys.allCases.map(\.rawValue)
        return "INSERT INTO generation_logs (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
            + " ON CONFLICT (entry_id) DO NOTHING"
    }()

    /// Inserts the row with `insert` (a prepared `insertSQL`); false when a row with its `entry_id` was there already.
    ///
    /// The values are bound with `sqlite3_bind_*` and the statement stepped directly, not through
    /// `StatementArguments`: GRDB's generic argument path (an existential and a witness call per value, an array
    /// built per row) was ~30,000 instructions of a proxied request, and the Codable `PersistableRecord` encoding
    /// before it ~170,000 (bench/PROFILE.md). The switch has no default, so a new column does not compile until it
    /// is bound here too.
    func insert(with insert: Statement, in db: Database) throws -> Bool {
        let statement = insert.sqliteStatement
        sqlite3_reset(statement)
        var binder = SQLiteBinder(statement: statement)
        for key in CodingKeys.allCases {
            switch key {
            case .createdAt: binder.bind(createdAt.timeIntervalSince1970)
            case .requestID: binder.bind(requestID)
            case .keyID: binder.bind(keyID)
            case .model: binder.bind(model)
            case .provider: binder.bind(provider)
            case .route: binder.bind(route)
            case .status: binder.bind(Int64(status))
            case .stream: binder.bind(stream)
            case .promptSummary: binder.bind(promptSummary)
            case .promptTokens: binder.bind(promptTokens)
            case .completionTokens: binder.bind(completionTokens)
            case .totalTokens: binder.bind(totalTokens)
            case .characters: binder.bind(characters)
            case .audioSeconds: binder.bind(audioSeconds)
            case .images: binder.bind(images)
            case .imageSize: binder.bind(imageSize)
            case .ttfbMs: binder.bind(ttfbMs)
            case .latencyMs: binder.bind(latencyMs)
            case .bytesIn: binder.bind(Int64(bytesIn))
            case .bytesOut: binder.bind(Int64(bytesOut))
            case .error: binder.bind(error)
            case .tried: binder.bind(tried)
            case .cost: binder.bind(cost)
            case .unauthenticated: binder.bind(unauthenticated)
            case .entryID: binder.bind(entryID)
            case .inputAudioTokens: binder.bind(inputAudioTokens)
            case .outputAudioTokens: binder.bind(outputAudioTokens)
            case .sessionSeconds: binder.bind(sessionSeconds)
            }
        }
        var code = binder.code
        if code == SQLITE_OK { code = sqlite3_step(statement) }
        // Bound text is copied (SQLITE_TRANSIENT) and the bindings cleared, so nothing outlives this call.
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: Self.insertSQL)
        }
        return sqlite3_changes(db.sqliteConnection) > 0
    }
}

/// Binds values to a statement's parameters in order; the first failure's code is kept.
private struct SQLiteBinder {
    let statement: SQLiteStatement
    var index: Int32 = 1
    var code = SQLITE_OK

    /// SQLite copies the text before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Keeps the first failure, moves to the next parameter.
    private mutating func advance(_ result: Int32) {
        if code == SQLITE_OK { code = result }
        index += 1
    }

    mutating func bind(_ value: String?) {
        guard var value else { return advance(sqlite3_bind_null(statement, index)) }
        let (statement, index) = (statement, index)
        let result = value.withUTF8 { utf8 in
            // An empty buffer has no address, and a null pointer would bind NULL, not "".
            guard let base = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, Self.transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text(statement, index, $0, Int32(utf8.count), Self.transient)
            }
        }
        advance(result)
    }

    mutating func bind(_ value: Int64?) {
        advance(value.map { sqlite3_bind_int64(statement, index, $0) } ?? sqlite3_bind_null(statement, index))
    }

    mutating func bind(_ value: Int?) { bind(value.map(Int64.init)) }

    mutating func bind(_ value: Double?) {
        advance(value.map { sqlite3_bind_double(statement, index, $0) } ?? sqlite3_bind_null(statement, index))
    }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }
}
