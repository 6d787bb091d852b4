import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket

/// A WebSocket route the gateway's HTTP/1 channel upgrades to (`/v1/realtime`). The channel knows only this: the
/// route's folder implements it, so HTTP depends on no route.
protocol WebSocketEndpoint: Sendable {
    /// Whether an upgrade request for `path` (no query) is this endpoint's.
    func serves(path: String) -> Bool
    /// Decides an upgrade request: accept it (the 101's extra headers and what then runs on the socket) or refuse
    /// it with an HTTP answer (the same error body a plain request would get).
    func admit(_ request: HTTPRequest, channel: any Channel, logger: Logger) async -> WebSocketAdmission
}

enum WebSocketAdmission: Sendable {
    case accept(headers: HTTPFields, session: WebSocketSession)
    case refuse(RefusedUpgrade)
}

/// What runs on an upgraded socket, until the socket closes.
typealias WebSocketSession = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Logger) async -> Void

/// An upgrade answered over HTTP instead (401, 404, 400, 502…); the connection closes after it.
struct RefusedUpgrade: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer
}
