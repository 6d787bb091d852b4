import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /lollms/v1/long_context_process` `{"model"?, "text", "prompt", "max_generation_tokens"?, "stream"?}` →
/// `{"text", "chunks", "usage"}`: a text longer than the model's context, processed by map and reduce
/// (`LongContextProcessor`) through the chat model (`model`, else the first chat model the key may use), fitted to
/// its `context_length` (`LongContextPlan`). With `stream: true` the answer is an event stream of
/// `long_context.progress` events and a last `long_context.done` (or `error`) event.
///
/// The request's own row counts nothing and costs nothing; each model call writes a row of its own (route
/// `/chat/completions`) under the request's id, with its tokens and cost.
struct LongContextRoutes: Sendable {
    let services: GatewayServices

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("long_context_process") { request, context in try await process(request, context: context) }
    }

    func process(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let trace = try context.requireTrace()
        let caller = try context.requireCaller()
        var request = request
        let body = try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace)
        let parsed = try LongContextRequest(json: try services.parseJSONObject(body))
        guard let name = parsed.model ?? services.catalog.suggestions(for: caller, capability: .chat, limit: 1).names.first else {
            throw GatewayError.missingParameter("model")
        }
        trace.markUnpriced()
        trace.update {
            $0.model = name
            $0.stream = parsed.stream
            $0.promptSummary = UsageRecord.summarize(parsed.prompt)
        }
        let model = try services.catalog.resolve(name, for: caller, capability: .chat, trace: trace)
        let plan = try LongContextPlan(contextLength: model.config.contextLength, maxGenerationTokens: parsed.maxGenerationTokens,
                                       prompt: parsed.prompt)
        let processor = LongContextProcessor(
            call: LongContextCall(services: services, caller: caller, model: model, requestID: trace.requestID,
                                  maxGenerationTokens: plan.maxGenerationTokens),
            plan: plan, concurrency: services.config.server.longContextConcurrency)
        guard parsed.stream else {
            let outcome = try await processor.run(text: parsed.text, prompt: parsed.prompt) { _ in }
            let answer = Self.answer(outcome, model: model.name)
            trace.update { $0.bytesOut = answer.serialized().count }
            trace.finishWhole(status: 200)
            return Response.json(answer)
        }
        return streamed(processor, request: parsed, model: model.name, trace: trace)
    }

    private func streamed(_ processor: LongContextProcessor, request: LongContextRequest, model: String, trace: RequestTrace) -> Response {
        let body = ResponseBody { writer in
            // Progress comes from the calls' tasks; one writer task sends it, in order.
            let (events, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
            async let outcome: Result<LongContextProcessor.Outcome, GatewayError> = {
                defer { sink.finish() }
                do throws(GatewayError) {
                    return .success(try await processor.run(text: request.text, prompt: request.prompt) { progress in
                        sink.yield(SSE.frame(Self.progressEvent(progress)))
                    })
                } catch {
                    return .failure(error)
                }
            }()
            var bytesOut = 0
            for await frame in events {
                bytesOut += frame.readableBytes
                try await writer.write(frame)
                trace.markFirstByte()
            }
            let last: ByteBuffer
            let status: Int
            var failure: String?
            switch await outcome {
            case .success(let outcome):
                var done = Self.answer(outcome, model: model)
                done.set("type", "long_context.done")
                last = SSE.frame(done)
                status = 200
            case .failure(let error):
                last = SSE.frame(["type": "error", "error": error.errorObject(requestID: trace.requestID)])
                status = error.code == .clientClosed ? 499 : Int(error.status.code)
                failure = error.description
            }
            bytesOut += last.readableBytes
            trace.update { $0.bytesOut = bytesOut }
            try await writer.write(last)
            try await writer.finish(nil)
            trace.finish(status: status, error: failure)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func progressEvent(_ progress: LongContextProcessor.Progress) -> JSONValue {
        ["type": "long_context.progress", "stage": .string(progress.stage), "round": .number(progress.round),
         "completed": .number(progress.completed), "total": .number(progress.total)]
    }

    static func answer(_ outcome: LongContextProcessor.Outcome, model: String) -> JSONValue {
        .object([
            ("object", "long_context.result"),
            ("model", .string(model)),
            ("text", .string(outcome.text)),
            ("chunks", .number(outcome.chunks)),
            ("usage", .object([
                ("prompt_tokens", .number(outcome.promptTokens)),
                ("completion_tokens", .number(outcome.completionTokens)),
                ("total_tokens", .number(outcome.promptTokens + outcome.completionTokens)),
                ("calls", .number(outcome.mapCalls + outcome.reduceCalls)),
                ("map_calls", .number(outcome.mapCalls)),
                ("reduce_calls", .number(outcome.reduceCalls)),
                ("cost", .number((outcome.cost * 1_000_000).rounded() / 1_000_000)),
            ])),
        ])
    }
}
