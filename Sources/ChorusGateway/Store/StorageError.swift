/// What a storage backend tells its callers apart from "it failed": the kinds they act on differently.
/// A struct around a private code so a new kind never breaks a caller's `switch`.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable { case rowRefused, unsupportedDatabase }
    private let code: Code
    public let message: String

    /// The database refused a row for its content; no retry will take it.
    public static func rowRefused(_ reason: any Error) -> Self { .init(code: .rowRefused, message: "\(reason)") }

    /// Names only the URL scheme: the rest of a database URL may hold a password.
    public static func unsupportedDatabase(scheme: String) -> Self {
        .init(code: .unsupportedDatabase, message: "No storage backend for '\(scheme)://' databases in this build; use a SQLite file path.")
    }

    public var isRowRefused: Bool { code == .rowRefused }

    public var description: String { message }
}
