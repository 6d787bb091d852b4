public import NIOCore

/// One HTTP request to an upstream. Redirects are never followed.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in this order. Curl adds `Host`, and `Accept: */*` when no `Accept` is given.
    public var headers: [(String, String)]
    public var body: UpstreamRequestBody
    /// Seconds to establish the connection (TCP + TLS). 0 means libcurl's default (300 s).
    public var connectTimeout: Double
    /// Seconds for the whole transfer, body included; 0 means no limit.
    public var timeout: Double
    /// Seconds in which not a single byte arrives (headers included) before the transfer is aborted with
    /// `timedOut`; 0 means no such limit. For long streamed answers, where a total `timeout` would cut a healthy
    /// stream, this bounds a stalled one instead.
    public var idleTimeout: Double = 0
    /// Seconds from the start of the transfer until the response head (status line and headers) is in, before
    /// the transfer is aborted with `timedOut`; 0 means no such limit. It bounds the wait for a streamed answer,
    /// which has no total `timeout`; once the head is in, `idleTimeout` and `timeout` govern the body.
    public var firstByteTimeout: Double = 0
    /// Abort the body with `responseTooLarge` once more than this many bytes arrived.
    public var maxResponseBytes: Int?
    /// Refuse to connect to loopback, private, link-local, unique-local and CGNAT addresses, checked on the
    /// address the host actually resolved to (and again on a reused connection).
    public var refusePrivateAddresses: Bool
    /// A PEM file of the certificate authorities that verify an HTTPS upstream's certificate, instead of the
    /// system's (an upstream signed by a private CA). Verification itself is never turned off.
    public var caFile: String?

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: UpstreamRequestBody = .none,
        connectTimeout: Double = 10, timeout: Double = 60, maxResponseBytes: Int? = nil,
        refusePrivateAddresses: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.refusePrivateAddresses = refusePrivateAddresses
    }
}

public enum UpstreamRequestBody: Sendable {
    case none
    /// Sent from memory with a `Content-Length`, read in place by curl: nothing is copied up front.
    case bytes(ByteBuffer)
    /// Sent from memory with a `Content-Length`: the buffers one after another, read in place as curl sends
    /// them, so nothing is copied up front (for large bodies already in memory, such as a forwarded upload:
    /// the multipart head, the uploaded file's own buffer, the tail). The buffers are read again from the
    /// start if curl has to resend the request on a reused connection that turned out to be dead.
    case buffers([ByteBuffer])
    /// Streamed as the sequence yields. With `length` it is sent with that `Content-Length` (the stream must
    /// yield exactly that many bytes); without it, HTTP/1.1 uses chunked encoding.
    case stream(AsyncThrowingStream<ByteBuffer, any Error>, length: Int?)
}
