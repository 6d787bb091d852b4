// TEMPORARY: the agreed API, so the gateway type-checks before the real client lands. Deleted on merge.
import Logging
import NIOCore
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: UpstreamRequestBody
    public var connectTimeout: Double
    public var timeout: Double
    public var maxResponseBytes: Int?
    public var refusePrivateAddresses: Bool
    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: UpstreamRequestBody = .none,
                connectTimeout: Double = 10, timeout: Double = 60, maxResponseBytes: Int? = nil, refusePrivateAddresses: Bool = false) {
        self.method = method; self.url = url; self.headers = headers; self.body = body; self.connectTimeout = connectTimeout
        self.timeout = timeout; self.maxResponseBytes = maxResponseBytes; self.refusePrivateAddresses = refusePrivateAddresses
    }
}
public enum UpstreamRequestBody: Sendable {
    case none
    case bytes(ByteBuffer)
    case stream(AsyncThrowingStream<ByteBuffer, any Error>, length: Int?)
}
public struct UpstreamResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: UpstreamResponseBody
    public func header(_ name: String) -> String? { nil }
}
public final class UpstreamResponseBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public struct AsyncIterator: AsyncIteratorProtocol { public mutating func next() async throws -> ByteBuffer? { nil } }
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer { ByteBuffer() }
    public func cancel() {}
}
public final class UpstreamClient: Sendable {
    public init(logger: Logger = Logger(label: "chorus.upstream")) throws {}
    public func execute(_ request: UpstreamRequest) async throws -> UpstreamResponse { throw UpstreamError(kind: .shutdown, message: "", curlCode: nil) }
    public var activeTransfers: Int { 0 }
    public func shutdown() async {}
}
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable {
        let raw: String
        public static let connectFailed = Kind(raw: "connectFailed"), timedOut = Kind(raw: "timedOut"), cancelled = Kind(raw: "cancelled"),
            transferFailed = Kind(raw: "transferFailed"), responseTooLarge = Kind(raw: "responseTooLarge"),
            privateAddressRefused = Kind(raw: "privateAddressRefused"), shutdown = Kind(raw: "shutdown")
    }
    public let kind: Kind
    public let message: String
    public let curlCode: Int32?
    public var description: String { message }
}
