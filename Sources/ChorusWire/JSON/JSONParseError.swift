/// Why `JSONParser` refused a document, and where. The message names the problem only, never the document's
/// content, so it can be shown to whoever sent the bytes.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Byte offset into the document where parsing stopped.
    public let offset: Int
    /// The key a duplicate-key error is about (its first 64 characters): the one piece of the document named,
    /// so the caller learns which field to fix.
    public let key: String?

    public init(message: String, offset: Int, key: String? = nil) {
        self.message = message
        self.offset = offset
        self.key = key.map { String($0.prefix(64)) }
    }

    public var description: String {
        if let key { return "\(message) '\(key)' at byte \(offset)" }
        return "\(message) at byte \(offset)"
    }
}
