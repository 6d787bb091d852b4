/// Why `JSONParser` refused a document, and where. The message names the problem only, never the document's
/// content, so it can be shown to whoever sent the bytes.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Byte offset into the document where parsing stopped.
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
