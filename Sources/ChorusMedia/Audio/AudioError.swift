/// Why audio could not be decoded, encoded or transcoded.
///
/// A struct around a kind, so new kinds never break callers:
/// `catch let error as AudioError where error.kind == .tooLarge`.
public struct AudioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of an ``AudioError``; compare with the static members.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case notAudio, truncated, corrupt, tooLarge, tooLong, unsupported, invalidArgument, encoderFailed, cancelled
        }
        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// The input is empty, not a known audio container, or holds no audio stream.
        public static let notAudio = Kind(.notAudio)
        /// The input ends before its headers or its declared length.
        public static let truncated = Kind(.truncated)
        /// The input is a known container whose headers or audio data cannot be read.
        public static let corrupt = Kind(.corrupt)
        /// The input is larger than ``AudioLimits/maxInputBytes``.
        public static let tooLarge = Kind(.tooLarge)
        /// The audio is longer than ``AudioLimits/maxDurationSeconds``.
        public static let tooLong = Kind(.tooLong)
        /// A container, codec or sample layout this build cannot handle.
        public static let unsupported = Kind(.unsupported)
        /// A parameter (sample rate, bit rate…) is out of range.
        public static let invalidArgument = Kind(.invalidArgument)
        /// Setting up or running the encoder, resampler or muxer failed.
        public static let encoderFailed = Kind(.encoderFailed)
        /// The work was abandoned (the transcoder was torn down).
        public static let cancelled = Kind(.cancelled)

        public var description: String { code.rawValue }
    }

    /// The category, for deciding what to answer (415, 413, 400…).
    public let kind: Kind
    /// A readable explanation, safe to show a caller.
    public let message: String
    /// The FFmpeg error code (`AVERROR(...)`) behind it, when there was one.
    public let code: Int32?

    public init(kind: Kind, message: String, code: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { "AudioError.\(kind): \(message)" }

    public static func notAudio(_ message: String, code: Int32? = nil) -> Self { .init(kind: .notAudio, message: message, code: code) }
    public static func truncated(_ message: String, code: Int32? = nil) -> Self { .init(kind: .truncated, message: message, code: code) }
    public static func corrupt(_ message: String, code: Int32? = nil) -> Self { .init(kind: .corrupt, message: message, code: code) }
    public static func tooLarge(_ message: String) -> Self { .init(kind: .tooLarge, message: message) }
    public static func tooLong(_ message: String) -> Self { .init(kind: .tooLong, message: message) }
    public static func unsupported(_ message: String, code: Int32? = nil) -> Self { .init(kind: .unsupported, message: message, code: code) }
    public static func invalidArgument(_ message: String) -> Self { .init(kind: .invalidArgument, message: message) }
    public static func encoderFailed(_ message: String, code: Int32? = nil) -> Self { .init(kind: .encoderFailed, message: message, code: code) }
    public static func cancelled(_ message: String) -> Self { .init(kind: .cancelled, message: message) }
}
