/// Why a multipart/form-data body was refused while it was read. `message` is written for the caller.
///
/// A struct around a kind, so new kinds never break callers:
/// `catch let error as MultipartFormError where error.kind == .tooLarge`.
public struct MultipartFormError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of a ``MultipartFormError``; compare with the static members.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case tooLarge, malformed, fieldTooLarge, noParts
        }
        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// The body grew past the reader's byte limit (``MultipartFormError/limitBytes``).
        public static let tooLarge = Kind(.tooLarge)
        /// The body is not valid multipart/form-data.
        public static let malformed = Kind(.malformed)
        /// A text field is larger than ``MultipartForm/maxFieldBytes``.
        public static let fieldTooLarge = Kind(.fieldTooLarge)
        /// The body ended without a single part.
        public static let noParts = Kind(.noParts)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    public let message: String
    /// The limit that was crossed (``Kind/tooLarge`` only).
    public let limitBytes: Int?

    private init(_ kind: Kind, _ message: String, limitBytes: Int? = nil) {
        self.kind = kind
        self.message = message
        self.limitBytes = limitBytes
    }

    public var description: String { message }

    public static func tooLarge(limitBytes: Int) -> Self {
        .init(.tooLarge, "Request body too large: the limit is \(limitBytes) bytes.", limitBytes: limitBytes)
    }
    public static func malformed(_ detail: String) -> Self {
        .init(.malformed, "Malformed multipart body: \(detail)")
    }
    public static func fieldTooLarge(_ name: String) -> Self {
        .init(.fieldTooLarge, "Form field '\(name)' is larger than 1 MiB.")
    }
    public static let noParts = Self(.noParts, "The multipart body has no parts.")
}
