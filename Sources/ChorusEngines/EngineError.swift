/// An error raised by an embedded engine.
///
/// A public struct around a private code enum (async-http-client's `HTTPClientError` pattern): new codes never
/// break callers. Compare ``code`` against the static ``Code`` values to tell input errors from engine failures.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value that can be compared (`error.code == .voiceNotFound`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case initializationFailed, voiceNotFound, invalidLanguage, invalidPresets, synthesisFailed
            case modelNotFound, recognitionFailed, shutdown, tooLong
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An engine could not start (espeak-ng data or pocketsphinx model missing or unreadable).
        public static let initializationFailed = Code(.initializationFailed)
        /// espeak-ng has no voice for the requested language / variant (a caller error: HTTP 400).
        public static let voiceNotFound = Code(.voiceNotFound)
        /// The language tag is not a plausible BCP-47 tag (a caller error: HTTP 400).
        public static let invalidLanguage = Code(.invalidLanguage)
        /// A voice preset file could not be read or is malformed.
        public static let invalidPresets = Code(.invalidPresets)
        /// espeak-ng reported an error while synthesising.
        public static let synthesisFailed = Code(.synthesisFailed)
        /// A pocketsphinx model file is missing.
        public static let modelNotFound = Code(.modelNotFound)
        /// pocketsphinx reported an error while decoding.
        public static let recognitionFailed = Code(.recognitionFailed)
        /// The engine was shut down before or while the job ran.
        public static let shutdown = Code(.shutdown)
        /// The job reached the audio length its request allows (``SpeechRequest/maxSeconds``) and was stopped there.
        public static let tooLong = Code(.tooLong)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// The C library's status code, when the error comes from one (espeak-ng `espeak_ng_STATUS`, pocketsphinx return value).
    public let status: Int?

    private init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String {
        if let status { return "\(message) (\(code), status \(status))" }
        return "\(message) (\(code))"
    }

    static func initializationFailed(_ message: String, status: Int? = nil) -> Self {
        .init(.initializationFailed, message, status: status)
    }
    static func voiceNotFound(_ voice: String, status: Int? = nil) -> Self {
        .init(.voiceNotFound, "espeak-ng has no voice '\(voice)'", status: status)
    }
    static func invalidLanguage(_ language: String) -> Self {
        .init(.invalidLanguage, "'\(language)' is not a language tag (expected e.g. en, fr, pt-br)")
    }
    static func invalidPresets(_ message: String) -> Self { .init(.invalidPresets, message) }
    static func synthesisFailed(_ message: String, status: Int? = nil) -> Self {
        .init(.synthesisFailed, message, status: status)
    }
    static func modelNotFound(_ path: String) -> Self {
        .init(.modelNotFound, "pocketsphinx model file not found: \(path)")
    }
    static func recognitionFailed(_ message: String, status: Int? = nil) -> Self {
        .init(.recognitionFailed, message, status: status)
    }
    static func shutdown(_ engine: String) -> Self { .init(.shutdown, "the \(engine) engine has been shut down") }
    static func tooLong(seconds: Double) -> Self { .init(.tooLong, "stopped at the request's limit of \(seconds) s of audio") }
}
