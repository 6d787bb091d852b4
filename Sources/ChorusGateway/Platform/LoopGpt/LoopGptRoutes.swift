import ChorusUpstream
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// The LoopGpt-style chat API, registered on `/api/v1/chat` with `LoopGptErrorStyle`:
/// - `POST send`: one message to a model (catalog id, slug or name), with the conversation's earlier turns as
///   history (`ChatHistory`), through the same resolution, points, failover and usage row as `/v1/chat/completions`;
///   the turn is stored only once the model has answered, so a failed call leaves the conversation as it was.
/// - `GET conversations` (`?page=&per_page=`) and `GET conversations/{id}`: the caller's own conversations.
/// A conversation belongs to the key that started it; the master key's are its own (it does not see the keys').
/// Another key's conversation id is answered like one that does not exist.
struct LoopGptRoutes: Sendable {
    let services: GatewayServices

    /// Largest chat completion read from a provider.
    static let maxAnswerBytes = 16 << 20
    /// `GET conversations/{id}` shows at most the latest this many messages (`message_count` says how many there are).
    static let maxShownMessages = 1000
    static let defaultPerPage = 20
    static let maxPerPage = 100
    /// Pages past this are clamped to it: the offset stays small for the database.
    static let maxPage = 100_000

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("send") { request, context in try await send(request, context: context) }
        group.get("conversations") { request, context in try await list(request, context: context) }
        group.get("conversations/{id}") { _, context in try await show(context, id: context.parameters.get("id") ?? "") }
    }

    func send(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        let caller = try context.requireCaller()
        var request = request
        let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
        let send = try LoopGptSendRequest(body: body)
        trace.update {
            $0.model = send.modelID
            $0.promptSummary = UsageRecord.summarize(send.message)
        }
        guard let listed = services.catalog.lookup(send.modelID) else { throw GatewayError.modelNotFound(send.modelID) }
        trace.update { $0.model = listed.name }
        let model = try services.catalog.resolve(listed.name, for: caller, capability: .chat, trace: trace)

        var messages: [JSONValue] = []
        if let id = send.conversationID {
            let history = ChatHistory(config: services.config.server)
            guard let earlier = try await stored({
                try await services.store.messages(conversationID: id, ownerKeyID: caller.ownerKeyID, last: history.maxMessages)
            }) else { throw Self.conversationNotFound }
            messages = history.messages(from: earlier)
        }
        messages.append(.object([("role", "user"), ("content", .string(send.message))]))
        let json = JSONValue.object([("model", .string(model.name)), ("messages", .array(messages))])
        let call = TextCall(route: .chat, json: json, stream: false)
        let (upstream, answered) = try await services.failover.run(model, caller: caller, capability: .chat, trace: trace) {
            candidate throws(GatewayError) in
            guard let provider = candidate.provider.text else { throw candidate.provider.missing(.chat) }
            return try await provider.send(call, model: candidate.config)
        }
        let reply = try await ChatCompletionAnswer.read(upstream, provider: answered.providerName, limit: Self.maxAnswerBytes)
        var cost = 0.0
        trace.update { record in
            record.promptTokens = reply.promptTokens
            record.completionTokens = reply.completionTokens
            record.totalTokens = reply.totalTokens
            // What the row will be charged (`RequestTrace.finish` prices it the same way).
            cost = answered.config.price?.cost(of: record) ?? 0
        }

        let turn = ConversationTurn(conversationID: send.conversationID, ownerKeyID: caller.ownerKeyID, model: answered.name,
                                    userMessage: send.message, assistantMessage: reply.text, promptTokens: reply.promptTokens,
                                    completionTokens: reply.completionTokens, at: Date().timeIntervalSince1970)
        // The conversation was checked above; nil here means it went away while the model answered.
        guard let saved = try await stored({ try await services.store.appendTurn(turn) }) else { throw Self.conversationNotFound }
        let latency = RequestTrace.milliseconds(ContinuousClock.now - trace.start).rounded()
        let data = JSONValue.object([
            ("conversation_id", .number(Int(saved.conversation.id))),
            ("user_message_id", .number(Int(saved.userMessageID))),
            ("assistant_message_id", .number(Int(saved.assistantMessageID))),
            ("model", .string(answered.name)),
            ("response", .string(reply.text)),
            ("message", .string(reply.text)),
            ("usage", .object([
                ("tokens", .number(reply.tokens)),
                ("prompt_tokens", reply.promptTokens.map(JSONValue.number) ?? .null),
                ("completion_tokens", reply.completionTokens.map(JSONValue.number) ?? .null),
                ("latency_ms", .number(Int(latency))),
                ("cost", .number(cost)),
            ])),
        ])
        return finish(trace, LoopGptEnvelope.success(data))
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        let caller = try context.requireCaller()
        let (page, perPage) = Self.paging(request.uri.queryParameters)
        let found = try await stored {
            try await services.store.conversations(ownerKeyID: caller.ownerKeyID, limit: perPage, offset: (page - 1) * perPage)
        }
        let data = JSONValue.object([
            ("conversations", .array(found.conversations.map { .object(LoopGptEnvelope.conversation($0)) })),
            ("page", .number(page)),
            ("per_page", .number(perPage)),
            ("total", .number(found.total)),
            ("total_pages", .number((found.total + perPage - 1) / perPage)),
        ])
        return finish(trace, LoopGptEnvelope.success(data))
    }

    func show(_ context: GatewayRequestContext, id: String) async throws -> Response {
        let trace = try context.requireTrace()
        let caller = try context.requireCaller()
        // An id that is not a number names no conversation: the same 404.
        guard let id = Int64(id), id >= 1,
              let conversation = try await stored({ try await services.store.conversation(id: id, ownerKeyID: caller.ownerKeyID) }) else {
            throw Self.conversationNotFound
        }
        // Nil only when the conversation went away since it was read.
        guard let messages = try await stored({
            try await services.store.messages(conversationID: id, ownerKeyID: caller.ownerKeyID, last: Self.maxShownMessages)
        }) else { throw Self.conversationNotFound }
        let data = JSONValue.object(LoopGptEnvelope.conversation(conversation) + [("messages", .array(messages.map(LoopGptEnvelope.message)))])
        return finish(trace, LoopGptEnvelope.success(data))
    }

    /// `page` from 1 (default 1), `per_page` 1…100 (default 20): values out of range are clamped, values that are
    /// not integers take the default.
    static func paging(_ query: Parameters) -> (page: Int, perPage: Int) {
        let page = query.get("page").flatMap { Int($0) }.map { min(max($0, 1), maxPage) } ?? 1
        let perPage = query.get("per_page").flatMap { Int($0) }.map { min(max($0, 1), maxPerPage) } ?? defaultPerPage
        return (page, perPage)
    }

    static let conversationNotFound = GatewayError.notFound("Conversation not found", param: "conversation_id")

    private func finish(_ trace: RequestTrace, _ response: Response) -> Response {
        trace.update { $0.bytesOut = response.body.contentLength ?? 0 }
        trace.finishWhole(status: 200)
        return response
    }

    /// A storage call; its failure is a 500 whose detail (database text) goes to the log and the row only.
    private func stored<T: Sendable>(_ body: () async throws -> T) async throws(GatewayError) -> T {
        do {
            return try await body()
        } catch {
            throw .internalError("conversation store: \(error)")
        }
    }
}
