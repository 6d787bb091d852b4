import ChorusWire
import HTTPTypes
import NIOCore

/// One model call of a long-context request, made the way `/v1/chat/completions` makes it (the caller's access,
/// points held and settled, fallbacks, retries, circuits) with a usage row of its own: route `/chat/completions`,
/// under the long-context request's id, so the log shows every call the request made and what each cost.
struct LongContextCall: Sendable {
    struct Answer: Sendable {
        var text: String
        var promptTokens: Int
        var completionTokens: Int
        var cost: Double
    }

    let services: GatewayServices
    let caller: Caller
    let model: ResolvedModel
    /// The long-context request's id: every call's row carries it.
    let requestID: String
    let maxGenerationTokens: Int

    /// Largest chat completion read from the provider.
    static let maxAnswerBytes = 16 << 20

    /// `label` goes into the row's prompt summary ("map 3/10", "reduce 1/2").
    func run(system: String, user: String, label: String) async throws(GatewayError) -> Answer {
        let trace = services.callTrace(route: "/chat/completions", caller: caller, model: model.name, requestID: requestID)
        trace.update { $0.promptSummary = UsageRecord.summarize("long_context_process \(label): \(user)") }
        do {
            let answer = try await call(system: system, user: user, trace: trace)
            trace.chatAnswered(promptTokens: answer.promptTokens, completionTokens: answer.completionTokens)
            trace.finishWhole(status: 200)
            return Answer(text: answer.text, promptTokens: answer.promptTokens, completionTokens: answer.completionTokens,
                          cost: trace.snapshot().cost ?? 0)
        } catch {
            // Cancelled because the client left (or a sibling call failed): nobody got this answer, whatever error
            // the aborted transfer surfaced as.
            if Task.isCancelled || error.code == .clientClosed {
                trace.finish(status: 499, error: "the long-context request ended before this call answered")
                throw .clientClosed("The request was cancelled.")
            }
            trace.finish(status: Int(error.status.code), error: error.description)
            throw error
        }
    }

    private func call(system: String, user: String, trace: RequestTrace) async throws(GatewayError) -> (text: String, promptTokens: Int, completionTokens: Int) {
        let messages: JSONValue = [["role": "system", "content": .string(system)], ["role": "user", "content": .string(user)]]
        let json: JSONValue = ["model": .string(model.name), "messages": messages, "max_tokens": .number(maxGenerationTokens)]
        let call = TextCall(route: .chat, json: json, stream: false)
        let (upstream, answered) = try await services.failover.run(model, caller: caller, capability: .chat, trace: trace) {
            candidate throws(GatewayError) in
            guard let provider = candidate.provider.text else { throw candidate.provider.missing(.chat) }
            return try await provider.send(call, model: candidate.config)
        }
        trace.markFirstByte()
        let reply = try await ChatCompletionAnswer.read(upstream, provider: answered.providerName, limit: Self.maxAnswerBytes)
        if answered.name != model.name { trace.update { $0.model = answered.name } }
        // A provider that reports no usage is counted by the same estimate the plan fits chunks with.
        let prompt = reply.promptTokens ?? LongContextPlan.tokens(system) + LongContextPlan.tokens(user)
        let completion = reply.completionTokens ?? LongContextPlan.tokens(reply.text)
        return (reply.text, prompt, completion)
    }
}
