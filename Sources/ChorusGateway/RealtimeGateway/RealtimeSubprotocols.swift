import Foundation
import HTTPTypes

/// Browsers cannot set headers on a WebSocket: OpenAI's browser form carries the key as a subprotocol,
/// `Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.<key>`.
enum RealtimeSubprotocols {
    static let keyPrefix = "openai-insecure-api-key."
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    /// The offered subprotocols, in order.
    static func offered(_ headers: HTTPFields) -> [String] {
        headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The upgrade request with the subprotocol's key as the `Authorization` header `AuthMiddleware` reads, when it
    /// has no key header of its own.
    static func keyAsHeader(_ head: HTTPRequest) -> HTTPRequest {
        guard head.headerFields[.authorization] == nil, head.headerFields[apiKeyHeader] == nil,
              let key = offered(head.headerFields).first(where: { $0.hasPrefix(keyPrefix) })?.dropFirst(keyPrefix.count),
              !key.isEmpty else { return head }
        var head = head
        head.headerFields[.authorization] = "Bearer \(key)"
        return head
    }
}
