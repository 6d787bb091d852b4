import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore

/// An in-process OpenAI-compatible upstream for tests. Its behaviour is picked by the upstream model name:
/// `hang` never answers, `fail` answers 429 with an OpenAI error, `html` answers 503 with HTML; anything else
/// answers like OpenAI (JSON, or SSE when `stream` is true), with a `usage` object.
final class MockUpstream: Sendable {
    struct Received: Sendable {
        var path: String
        var headers: HTTPFields
        var body: String
    }

    private let state = NIOLockedValueBox<(received: [Received], streamClosedAt: ContinuousClock.Instant?, streamsFinished: Int)>(([], nil, 0))
    let sseChunks: Int
    let sseInterval: Duration

    init(sseChunks: Int = 5, sseInterval: Duration = .milliseconds(50)) {
        self.sseChunks = sseChunks
        self.sseInterval = sseInterval
    }

    var received: [Received] { state.withLockedValue { $0.received } }
    var lastReceived: Received? { received.last }
    var streamClosedAt: ContinuousClock.Instant? { state.withLockedValue { $0.streamClosedAt } }
    var streamsFinished: Int { state.withLockedValue { $0.streamsFinished } }

    /// The exact bytes a streamed chat answer consists of, for byte-equality checks.
    func sseEvents(model: String) -> [String] {
        var events: [String] = []
        for i in 0..<sseChunks {
            events.append(#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"\#(model)","choices":[{"index":0,"delta":{"content":"tok\#(i) "}}]}"# + "\n\n")
        }
        events.append(#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"\#(model)","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":\#(sseChunks),"total_tokens":\#(7 + sseChunks)}}"# + "\n\n")
        events.append("data: [DONE]\n\n")
        return events
    }

    static func chatJSON(model: String) -> String {
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}"#
    }

    var application: some ApplicationProtocol {
        let router = Router()
        for path in ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] {
            router.post(RouterPath(stringLiteral: path)) { request, context in try await self.answer(request, path: path) }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func answer(_ request: Request, path: String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 10 << 20)
        let text = String(buffer: body)
        state.withLockedValue { $0.received.append(Received(path: path, headers: request.headers, body: text)) }
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let model = json["model"] as? String ?? "?"
        switch model {
        case "hang":
            try await Task.sleep(for: .seconds(30))
            return Response(status: .ok)
        case "fail":
            let error = #"{"error":{"message":"Upstream says slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#
            return Response(status: .tooManyRequests, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: error)))
        case "html":
            return Response(status: .serviceUnavailable, headers: [.contentType: "text/html"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html><body>Service Unavailable</body></html>")))
        default: break
        }
        if json["stream"] as? Bool == true {
            let events = sseEvents(model: model)
            let interval = sseInterval
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: .init { writer in
                do {
                    for event in events {
                        try await writer.write(ByteBuffer(string: event))
                        try await Task.sleep(for: interval)
                    }
                    try await writer.finish(nil)
                    self.state.withLockedValue { $0.streamsFinished += 1 }
                } catch {
                    self.state.withLockedValue { $0.streamClosedAt = .now }
                    throw error
                }
            })
        }
        let answer: String
        switch path {
        case "/v1/embeddings":
            answer = #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]}],"model":"\#(model)","usage":{"prompt_tokens":4,"total_tokens":4}}"#
        case "/v1/completions":
            answer = #"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"\#(model)","choices":[{"text":" world","index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}"#
        default:
            answer = Self.chatJSON(model: model)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", HTTPField.Name("x-upstream")!: "mock"],
                        body: .init(byteBuffer: ByteBuffer(string: answer)))
    }
}
