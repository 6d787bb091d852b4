import Atomics
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `/v1/realtime` and `/api/v1/realtime` as the HTTP channel's WebSocket endpoint. An upgrade request goes through
/// `responder` — the realtime router: trace, errors, the key (headers or the browser's subprotocol), the limits,
/// `RealtimeRoutes` — exactly as a request would; a 200 with an opened session upgrades, any other answer is what
/// the client gets instead (401, 404, 400, 429, 502…, in OpenAI's error shape).
struct RealtimeEndpoint: WebSocketEndpoint {
    static let paths: Set<String> = ["/v1/realtime", "/api/v1/realtime"]

    let responder: RouterResponder<GatewayRequestContext>
    let settings: RealtimeRelay.Settings

    func serves(path: String) -> Bool { Self.paths.contains(path) }

    func admit(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> WebSocketAdmission {
        let box = RealtimeAdmissionBox()
        let request = Request(head: RealtimeSubprotocols.keyAsHeader(head), body: .init(buffer: ByteBuffer()))
        let context = GatewayRequestContext(source: .init(channel: channel, logger: logger))
        let response: Response
        do {
            response = try await RealtimeAdmissionBox.$current.withValue(box) {
                try await responder.respond(to: request, context: context)
            }
        } catch {
            // TraceMiddleware answers every error itself; this is only for a responder that throws past it.
            return .refuse(RefusedUpgrade(status: .internalServerError, headers: [.contentType: "application/json"],
                                          body: ByteBuffer(bytes: GatewayError.internalError("\(error)").body(requestID: nil))))
        }
        guard response.status == .ok, let admission = box.take() else {
            return .refuse(await RefusedUpgrade(response))
        }
        let relay = RealtimeRelay(admission: admission, settings: settings)
        // The client may go away between this answer and the upgrade: the session is then closed with its row.
        let started = ManagedAtomic(false)
        channel.closeFuture.whenComplete { _ in
            guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
            Task { await relay.abandon() }
        }
        return .accept(headers: response.headers, session: { asyncChannel, logger in
            guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
            await relay.run(asyncChannel, logger: logger)
        })
    }
}

extension RefusedUpgrade {
    /// A router answer as bytes (error answers are small and built whole).
    init(_ response: Response) async {
        let collector = Collector()
        try? await response.body.write(collector)
        status = response.status
        headers = response.headers
        body = collector.buffer.value
    }

    private struct Collector: ResponseBodyWriter {
        final class Buffer: @unchecked Sendable { var value = ByteBuffer() }
        let buffer = Buffer()
        mutating func write(_ part: ByteBuffer) async throws {
            var part = part
            buffer.value.writeBuffer(&part)
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
