/// Why a base64 payload (`audio_sample`, an image, a data URL) was refused. `message` is written for the caller and
/// names `param`, the field the payload came in.
///
/// A struct around a kind, so new kinds never break callers:
/// `catch let error as Base64PayloadError where error.kind == .notBase64`.
public struct Base64PayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of a ``Base64PayloadError``; compare with the static members.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case dataURLWithoutComma, notBase64DataURL, notBase64
        }
        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// A `data:` URL with no comma before its payload.
        public static let dataURLWithoutComma = Kind(.dataURLWithoutComma)
        /// A `data:` URL whose payload is not marked `;base64`.
        public static let notBase64DataURL = Kind(.notBase64DataURL)
        /// A character outside the alphabet, misplaced padding, a lone sextet, or nothing at all.
        public static let notBase64 = Kind(.notBase64)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    public let message: String
    /// The request field the payload came in.
    public let param: String

    private init(_ kind: Kind, _ message: String, param: String) {
        self.kind = kind
        self.message = message
        self.param = param
    }

    public var description: String { message }

    public static func dataURLWithoutComma(param: String) -> Self {
        .init(.dataURLWithoutComma, "'\(param)' is a data URL without a comma.", param: param)
    }
    public static func notBase64DataURL(param: String, media: String) -> Self {
        .init(.notBase64DataURL, "'\(param)' must be a base64 data URL (data:\(media)/…;base64,…).", param: param)
    }
    public static func notBase64(param: String) -> Self {
        .init(.notBase64, "'\(param)' is not valid base64.", param: param)
    }
}
