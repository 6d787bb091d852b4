/// An upstream transfer failed. A struct around an open set of kinds, so new kinds never break callers.
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// Could not reach the upstream: connection refused, DNS failure, unreachable network, TLS handshake failure.
        public static let connectFailed = Kind("connectFailed")
        /// The connect timeout or the whole-transfer timeout expired.
        public static let timedOut = Kind("timedOut")
        /// The caller cancelled (Task cancellation, `cancel()`, or the body was dropped).
        public static let cancelled = Kind("cancelled")
        /// The transfer broke after it started: reset mid-body, malformed response, request body stream failed.
        public static let transferFailed = Kind("transferFailed")
        /// The response body grew past `maxResponseBytes` (or the caller's `collect(upTo:)` limit).
        public static let responseTooLarge = Kind("responseTooLarge")
        /// `refusePrivateAddresses` was set and the host resolved to a private, loopback or link-local address.
        public static let privateAddressRefused = Kind("privateAddressRefused")
        /// The client was shut down.
        public static let shutdown = Kind("shutdown")
        /// The request itself cannot be sent: bad URL, unsupported scheme, CR/LF in a header.
        public static let invalidRequest = Kind("invalidRequest")
    }

    public let kind: Kind
    public let message: String
    /// The libcurl `CURLcode` behind the error, when there is one.
    public let curlCode: Int32?

    public init(kind: Kind, message: String, curlCode: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String {
        if let curlCode {
            return "UpstreamError.\(self.kind): \(self.message) (curl code \(curlCode))"
        }
        return "UpstreamError.\(self.kind): \(self.message)"
    }

    static func cancelled(_ message: String = "the transfer was cancelled") -> Self {
        .init(kind: .cancelled, message: message)
    }
    static func shutdown() -> Self {
        .init(kind: .shutdown, message: "the upstream client is shut down")
    }
    static func invalidRequest(_ message: String, curlCode: Int32? = nil) -> Self {
        .init(kind: .invalidRequest, message: message, curlCode: curlCode)
    }
    static func transferFailed(_ message: String, curlCode: Int32? = nil) -> Self {
        .init(kind: .transferFailed, message: message, curlCode: curlCode)
    }
    static func responseTooLarge(limit: Int) -> Self {
        .init(kind: .responseTooLarge, message: "the response body is larger than \(limit) bytes")
    }
}
