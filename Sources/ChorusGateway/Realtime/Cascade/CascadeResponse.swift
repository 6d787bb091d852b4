import ChorusEngines
import ChorusWire
import HTTPTypes
import NIOConcurrencyHelpers

/// One response of a cascade session: the chat model's answer streamed as text deltas, and (with audio) spoken
/// clause by clause as the answer grows, so the first words are heard before the answer is complete. Runs in its
/// own task; cancelling it stops the chat stream and the voice at once and ends the response `cancelled`.
struct CascadeResponse: Sendable {
    struct Outcome: Sendable {
        var status: String
        var text: String
        var usage = RealtimeUsage()
    }

    let id: String
    let itemID: String
    let previousItemID: String?
    let request: CascadeResponseRequest
    let sink: RealtimeEventSink
    let chat: CascadeChat
    let voice: CascadeVoice
    let requestID: String
    /// Why the session cancelled the response (`client_cancelled`, `turn_detected`), read when it ends.
    let cancelReason: NIOLockedValueBox<String>

    /// Samples per `response.output_audio.delta` (200 ms).
    static let deltaSamples = 4800

    func run() async -> Outcome {
        sink.send(["type": "response.created", "response": json(status: "in_progress", output: [], usage: .null)])
        sink.send(["type": "response.output_item.added", "response_id": .string(id), "output_index": 0,
                   "item": item(status: "in_progress", content: [])])
        if !request.outOfBand {
            sink.send(["type": "conversation.item.added", "previous_item_id": previousItemID.map(JSONValue.string) ?? .null,
                       "item": item(status: "in_progress", content: [])])
        }
        sink.send(placed(["type": "response.content_part.added", "part": part("")]))

        var outcome = Outcome(status: "completed", text: "")
        var failure: GatewayError?
        let (deltas, feed) = AsyncStream<String>.makeStream()
        let (chat, request) = (self.chat, self.request)
        let chatResult = await withTaskGroup(of: Result<CascadeChat.Tokens, GatewayError>.self) { group in
            group.addTask {
                defer { feed.finish() }
                do throws(GatewayError) {
                    return .success(try await chat.answer(instructions: request.instructions, turns: request.turns) { feed.yield($0) })
                } catch {
                    return .failure(error)
                }
            }
            var splitter = ClauseSplitter()
            do {
                for await delta in deltas {
                    if Task.isCancelled { break }
                    outcome.text += delta
                    sink.send(placed(["type": request.speaksAudio ? "response.output_audio_transcript.delta" : "response.output_text.delta",
                                      "delta": .string(delta)]))
                    guard request.speaksAudio else { continue }
                    for clause in splitter.feed(delta) { try await speak(clause, into: &outcome.usage) }
                }
                if request.speaksAudio, !Task.isCancelled, let rest = splitter.finish() { try await speak(rest, into: &outcome.usage) }
            } catch is CancellationError {
                group.cancelAll()
            } catch let error as EngineError where error.code == .voiceNotFound {
                // An espeak-ng voice name that looked plausible but is not installed: the caller's to fix.
                failure = .invalidParameter("voice", "espeak-ng has no voice '\(request.voice.espeakVoice)'.")
                group.cancelAll()
            } catch {
                failure = .internalError("The embedded voice failed: \(error)")
                group.cancelAll()
            }
            return await group.next() ?? .failure(.internalError("the chat task vanished"))
        }
        switch chatResult {
        case .success(let tokens):
            outcome.usage.inputTextTokens = tokens.prompt
            outcome.usage.outputTextTokens = tokens.completion
        case .failure(let error):
            if failure == nil, !Task.isCancelled { failure = error }
        }
        if Task.isCancelled {
            outcome.status = "cancelled"
        } else if failure != nil {
            outcome.status = "failed"
        }
        finish(outcome, failure: failure)
        return outcome
    }

    /// Speaks a clause and sends it in 200 ms deltas.
    private func speak(_ clause: String, into usage: inout RealtimeUsage) async throws {
        let samples = try await voice.speak(clause, voice: request.voice, speed: request.speed)
        var start = 0
        while start < samples.count {
            try Task.checkCancellation()
            let end = min(samples.count, start + Self.deltaSamples)
            sink.send(placed(["type": "response.output_audio.delta", "delta": .string(PCM16Wire.encode(samples[start..<end]))]))
            start = end
        }
        usage.characters += clause.count
        usage.outputAudioSeconds += Double(samples.count) / Double(PCM16Wire.sampleRate)
    }

    private func finish(_ outcome: Outcome, failure: GatewayError?) {
        let done = part(outcome.text)
        if request.speaksAudio {
            sink.send(placed(["type": "response.output_audio.done"]))
            sink.send(placed(["type": "response.output_audio_transcript.done", "transcript": .string(outcome.text)]))
        } else {
            sink.send(placed(["type": "response.output_text.done", "text": .string(outcome.text)]))
        }
        sink.send(placed(["type": "response.content_part.done", "part": done]))
        let finished = item(status: outcome.status == "completed" ? "completed" : "incomplete", content: [done])
        sink.send(["type": "response.output_item.done", "response_id": .string(id), "output_index": 0, "item": finished])
        if !request.outOfBand {
            sink.send(["type": "conversation.item.done", "previous_item_id": previousItemID.map(JSONValue.string) ?? .null,
                       "item": finished])
        }
        var response = json(status: outcome.status, output: [finished], usage: Self.usage(outcome.usage))
        switch outcome.status {
        case "cancelled":
            response.set("status_details", ["type": "cancelled", "reason": .string(cancelReason.withLockedValue { $0 })])
        case "failed":
            let error = failure.map { CascadeEventError.from($0, requestID: requestID) }
            response.set("status_details", ["type": "failed", "error": ["type": .string(error?.type ?? "server_error"),
                                                                        "code": .string(error?.code ?? "server_error"),
                                                                        "message": .string(error?.message ?? "")]])
        default:
            break
        }
        sink.send(["type": "response.done", "response": response])
    }

    // MARK: - Shapes

    /// The event with the fields that place a delta: response, item, output and content index.
    private func placed(_ event: JSONValue) -> JSONValue {
        guard case .object(let members) = event, let type = members.first else { return event }
        return .object([type, ("response_id", .string(id)), ("item_id", .string(itemID)), ("output_index", 0), ("content_index", 0)]
            + members.dropFirst())
    }

    private func part(_ text: String) -> JSONValue {
        request.speaksAudio ? ["type": "output_audio", "transcript": .string(text)] : ["type": "output_text", "text": .string(text)]
    }

    private func item(status: String, content: [JSONValue]) -> JSONValue {
        ["id": .string(itemID), "object": "realtime.item", "type": "message", "status": .string(status), "role": "assistant",
         "content": .array(content)]
    }

    private func json(status: String, output: [JSONValue], usage: JSONValue) -> JSONValue {
        ["id": .string(id), "object": "realtime.response", "status": .string(status), "status_details": .null,
         "output": .array(output), "conversation_id": request.outOfBand ? .null : .string(sink.makeConversationID()),
         "output_modalities": .array(request.modalities.map(JSONValue.string)), "max_output_tokens": "inf",
         "audio": ["output": ["format": CascadeSettings.audioFormat, "voice": .string(request.voice.name)]],
         "usage": usage, "metadata": request.metadata]
    }

    /// The protocol's token usage: the chat model's tokens (the voice and the recogniser count no tokens).
    static func usage(_ usage: RealtimeUsage) -> JSONValue {
        ["total_tokens": .number(usage.inputTextTokens + usage.outputTextTokens), "input_tokens": .number(usage.inputTextTokens),
         "output_tokens": .number(usage.outputTextTokens),
         "input_token_details": ["text_tokens": .number(usage.inputTextTokens), "audio_tokens": 0, "cached_tokens": 0],
         "output_token_details": ["text_tokens": .number(usage.outputTextTokens), "audio_tokens": 0]]
    }
}

extension CascadeEventError {
    /// A gateway error told to the client: its own message for the caller's mistakes, the request id for the rest.
    static func from(_ error: GatewayError, requestID: String) -> CascadeEventError {
        if error.status.code >= 500 {
            return .server("The response failed.", requestID: requestID)
        }
        return CascadeEventError(code: error.codeString ?? "invalid_request_error", message: error.message, param: error.param)
    }
}
