import ChorusEngines
import ChorusUpstream
import ChorusWire
import Foundation
import NIOCore

/// `/v1/audio/translations` for a model with `translation_via`: the audio transcribed by one model (as
/// verbose_json, so segments keep their times), then each segment translated into English by a chat model in one
/// call (a JSON list in, a JSON list out; segment by segment if the answer does not fit). srt and vtt keep the
/// source segments' times; words are dropped, their times belong to the source language.
struct TranslationPipeline: Sendable {
    let catalog: ModelCatalog
    let caller: Caller
    /// The request's trace: the inner models' lifecycle (deprecation headers, a remap) applies as for any call.
    let trace: RequestTrace

    static let instructions = """
        Translate each string of the JSON array the user sends into English. Answer with a JSON array of the \
        translations only: the same number of strings, in the same order. Keep text already in English as it is.
        """

    func translate(_ job: TranscriptionJob, via: TranslationVia) async throws(GatewayError) -> TranscriptionResult {
        let transcriber = try catalog.resolve(via.transcriptionModel, for: caller, capability: .transcription, trace: trace)
        guard let provider = transcriber.provider.transcription else { throw transcriber.provider.missing(.transcription) }
        var inner = job
        inner.task = .transcribe
        inner.options.format = .verboseJSON
        inner.options.stream = false
        inner.options.granularities = []
        let heard = try await provider.transcribe(inner, model: transcriber.config)
        let source = try await heard.answer.transcript(provider: transcriber.providerName)
        let chat = try catalog.resolve(via.chatModel, for: caller, capability: .chat, trace: trace)
        let pieces = (source.segments.isEmpty ? [source.text] : source.segments.map(\.text)).map { $0.trimmingCharacters(in: .whitespaces) }
        let translated = try await translations(of: pieces, chat: chat)
        var segments = source.segments
        for index in segments.indices { segments[index].text = translated[index]; segments[index].words = [] }
        let text = translated.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        let transcript = Transcript(text: text, language: "en", duration: source.duration, segments: segments, words: [])
        return TranscriptionResult(answer: .transcript(transcript), audioSeconds: heard.audioSeconds, timestamps: heard.timestamps)
    }

    /// One chat call for all pieces; one call per piece when the answer is not a list of as many strings.
    func translations(of pieces: [String], chat: ResolvedModel) async throws(GatewayError) -> [String] {
        guard !pieces.isEmpty else { return [] }
        let list = String(decoding: JSONValue.array(pieces.map(JSONValue.string)).serialized(), as: UTF8.self)
        if let all = Self.stringList(try await complete(list, chat: chat)), all.count == pieces.count { return all }
        var result: [String] = []
        for piece in pieces {
            let list = String(decoding: JSONValue.array([.string(piece)]).serialized(), as: UTF8.self)
            let answer = try await complete(list, chat: chat)
            result.append(Self.stringList(answer)?.first ?? answer)
        }
        return result
    }

    /// The chat model's reply to `content` under the translation instructions.
    private func complete(_ content: String, chat: ResolvedModel) async throws(GatewayError) -> String {
        guard let provider = chat.provider.text else { throw chat.provider.missing(.chat) }
        let json = JSONValue.object([
            ("model", .string(chat.name)), ("temperature", .number("0")),
            ("messages", .array([
                .object([("role", "system"), ("content", .string(Self.instructions))]),
                .object([("role", "user"), ("content", .string(content))]),
            ])),
        ])
        let call = TextCall(route: .chat, json: json, stream: false)
        let response = try await provider.send(call, model: chat.config)
        let body: ByteBuffer
        do { body = try await response.body.collect(upTo: 16 << 20) } catch let error as UpstreamError {
            throw GatewayError(upstream: error, provider: chat.providerName)
        } catch {
            throw .upstreamFailed(provider: chat.providerName, "its translation could not be read")
        }
        guard response.status == 200 else {
            throw .upstreamFailed(provider: chat.providerName, "its translation answered \(response.status)")
        }
        guard let answer = try? body.withUnsafeReadableBytes({ bytes throws(JSONParseError) in try JSONParser.parse(bytes) }),
              let text = answer["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue else {
            throw .upstreamFailed(provider: chat.providerName, "its translation is not a chat completion")
        }
        return text
    }

    /// A JSON array of strings, also inside a ``` fence.
    static func stringList(_ text: String) -> [String]? {
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("```") {
            body = body.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
            if body.hasSuffix("```") { body = String(body.dropLast(3)) }
        }
        guard case .array(let items)? = try? JSONParser.parse(Array(body.utf8)) else { return nil }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count ? strings : nil
    }
}
