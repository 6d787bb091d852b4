/// What a storage backend tells its callers apart from "it failed": the kinds they act on differently.
/// A struct around a private code so a new kind never breaks a caller's `switch`.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case rowRefused, unsupportedDatabase, badDatabaseURL, unreachable, unavailable }
    private let code: Code
    public let message: String

    /// The database refused a row for its content; no retry will take it.
    public static func rowRefused(_ reason: any Error) -> Self { .init(code: .rowRefused, message: "\(reason)") }

    /// Names only the URL scheme: the rest of a database URL may hold a password.
    public static func unsupportedDatabase(scheme: String) -> Self {
        .init(code: .unsupportedDatabase, message: "No storage backend for '\(scheme)://' databases; use a SQLite file path or a postgres:// URL.")
    }

    /// `database:` is a PostgreSQL URL that cannot be used; the URL shown has no password.
    public static func badDatabaseURL(_ redacted: String, _ problem: String) -> Self {
        .init(code: .badDatabaseURL, message: "database \(redacted): \(problem)")
    }

    /// The database server could not be reached or refused the login, at start. The location has no password.
    public static func unreachable(_ location: String, _ reason: String) -> Self {
        .init(code: .unreachable, message: "Could not open the database \(location): \(reason)")
    }

    /// The database server is away while the gateway runs (no connection within the lease timeout): the caller
    /// answers 503 with a Retry-After, or keeps its rows for the next try. The location has no password.
    public static func unavailable(_ location: String, _ reason: String) -> Self {
        .init(code: .unavailable, message: "The database \(location) is unavailable: \(reason)")
    }

    public var isRowRefused: Bool { code == .rowRefused }

    public var isUnavailable: Bool { code == .unavailable }

    public var description: String { message }
}
