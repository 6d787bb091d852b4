import ChorusUpstream
import HTTPTypes
import ChorusWire
import NIOCore

/// The session's chat model, asked the way `/v1/chat/completions` asks it: the caller's access to the model, its
/// points, the model's fallbacks, retries and circuits, and a usage row of its own (route `/chat/completions`)
/// priced as the chat model's. The answer is read as it streams.
struct CascadeChat: Sendable {
    struct Turn: Sendable, Equatable {
        var role: String
        var text: String
    }

    struct Tokens: Sendable {
        var prompt = 0
        var completion = 0
    }

    let services: GatewayServices
    let caller: Caller
    /// The configured chat model's name (`chat_model` of the realtime model).
    let model: String

    /// Streams the answer's text pieces to `onDelta` and returns the tokens the provider counted. Cancelling the
    /// calling task stops reading and drops the provider's connection.
    func answer(instructions: String, turns: [Turn],
                onDelta: @Sendable (String) async -> Void) async throws(GatewayError) -> Tokens {
        let trace = services.callTrace(route: "/chat/completions", caller: caller, model: model, stream: true)
        do {
            let tokens = try await stream(instructions: instructions, turns: turns, trace: trace, onDelta: onDelta)
            trace.chatAnswered(promptTokens: tokens.prompt, completionTokens: tokens.completion)
            trace.finish(status: 200)
            return tokens
        } catch {
            trace.finish(status: error.code == .clientClosed ? 499 : Int(error.status.code), error: error.description)
            throw error
        }
    }

    private func stream(instructions: String, turns: [Turn], trace: RequestTrace,
                        onDelta: @Sendable (String) async -> Void) async throws(GatewayError) -> Tokens {
        var messages: [JSONValue] = []
        if !instructions.isEmpty { messages.append(["role": "system", "content": .string(instructions)]) }
        messages += turns.map { ["role": .string($0.role), "content": .string($0.text)] }
        let json: JSONValue = ["model": .string(model), "messages": .array(messages), "stream": true,
                               "stream_options": ["include_usage": true]]
        let resolved = try services.catalog.resolve(model, for: caller, capability: .chat, trace: trace)
        let call = TextCall(route: .chat, json: json, stream: true)
        let (upstream, answered) = try await services.failover.run(resolved, caller: caller, capability: .chat, trace: trace) {
            candidate throws(GatewayError) in
            guard let provider = candidate.provider.text else { throw candidate.provider.missing(.chat) }
            return try await provider.send(call, model: candidate.config)
        }
        let provider = answered.providerName
        guard (200..<300).contains(upstream.status) else {
            upstream.body.cancel()
            throw .upstreamFailed(provider: provider, "the chat model answered \(upstream.status)")
        }
        trace.markFirstByte()
        var reader = SSEEventReader()
        var tokens = Tokens()
        do {
            try await withTaskCancellationHandler {
                for try await chunk in upstream.body {
                    try Task.checkCancellation()
                    for event in try reader.feed(chunk) {
                        if try await Self.handle(event, tokens: &tokens, onDelta: onDelta) { return }
                    }
                }
                if let event = reader.finish() { _ = try await Self.handle(event, tokens: &tokens, onDelta: onDelta) }
            } onCancel: {
                upstream.body.cancel()
            }
        } catch is CancellationError {
            throw .clientClosed("The response was cancelled.")
        } catch let error as GatewayError {
            throw error
        } catch {
            if Task.isCancelled { throw .clientClosed("The response was cancelled.") }
            throw .upstreamFailed(provider: provider, "the chat stream broke off")
        }
        return tokens
    }

    /// One `data:` event; true at `[DONE]`.
    private static func handle(_ event: String, tokens: inout Tokens, onDelta: @Sendable (String) async -> Void) async throws -> Bool {
        if event == "[DONE]" { return true }
        guard let json = try? JSONParser.parse(Array(event.utf8)) else { return false }
        if let usage = json["usage"], !usage.isNull {
            tokens.prompt = usage["prompt_tokens"]?.intValue ?? tokens.prompt
            tokens.completion = usage["completion_tokens"]?.intValue ?? tokens.completion
        }
        if let text = json["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue, !text.isEmpty {
            try Task.checkCancellation()
            await onDelta(text)
        }
        return false
    }
}
