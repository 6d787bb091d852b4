/// Why an image could not be read, validated or written.
///
/// A struct around a kind rather than an enum, so new kinds never break callers. Switch on ``kind``:
/// ```swift
/// catch let error as ImageError where error.kind == .tooManyPixels { … }
/// ```
public struct ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of the failure; compare with `==` against the static members.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notAnImage, unsupportedFormat, truncated, corrupt, tooManyPixels, tooManyBytes
            case sizeMismatch, invalidMask, invalidArgument, encodeFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The bytes are not an image in any format we recognise (or are empty).
        public static let notAnImage = Kind(.notAnImage)
        /// A recognised image format that is not png, jpeg or webp (gif, bmp, tiff, animated webp, …).
        public static let unsupportedFormat = Kind(.unsupportedFormat)
        /// The data ends before the image does, or cannot possibly hold the image its header declares.
        public static let truncated = Kind(.truncated)
        /// The header is plausible but the data does not decode (bad CRC, bad chunk, codec error).
        public static let corrupt = Kind(.corrupt)
        /// width × height exceeds ``ImageLimits/maxPixels`` (checked from the header, before decoding).
        public static let tooManyPixels = Kind(.tooManyPixels)
        /// The encoded data is larger than ``ImageLimits/maxBytes``.
        public static let tooManyBytes = Kind(.tooManyBytes)
        /// The mask's width/height differ from the image's.
        public static let sizeMismatch = Kind(.sizeMismatch)
        /// The mask is not usable as a mask (not a PNG).
        public static let invalidMask = Kind(.invalidMask)
        /// A caller-supplied value is out of range (quality outside 0…100, pixel buffer of the wrong size).
        public static let invalidArgument = Kind(.invalidArgument)
        /// The encoder refused or failed.
        public static let encodeFailed = Kind(.encodeFailed)

        public var description: String { base.rawValue }
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }

    public static func notAnImage(_ message: String = "data is not a png, jpeg or webp image") -> Self {
        .init(kind: .notAnImage, message: message)
    }
    public static func unsupportedFormat(_ message: String) -> Self { .init(kind: .unsupportedFormat, message: message) }
    public static func truncated(_ message: String) -> Self { .init(kind: .truncated, message: message) }
    public static func corrupt(_ message: String) -> Self { .init(kind: .corrupt, message: message) }
    public static func tooManyPixels(width: Int, height: Int, limit: Int) -> Self {
        .init(kind: .tooManyPixels, message: "image is \(width)x\(height) pixels; at most \(limit) pixels are allowed")
    }
    public static func tooManyBytes(_ count: Int, limit: Int) -> Self {
        .init(kind: .tooManyBytes, message: "image is \(count) bytes; at most \(limit) bytes are allowed")
    }
    public static func sizeMismatch(_ message: String) -> Self { .init(kind: .sizeMismatch, message: message) }
    public static func invalidMask(_ message: String) -> Self { .init(kind: .invalidMask, message: message) }
    public static func invalidArgument(_ message: String) -> Self { .init(kind: .invalidArgument, message: message) }
    public static func encodeFailed(_ message: String) -> Self { .init(kind: .encodeFailed, message: message) }
}
