import ChorusMedia
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat

/// An in-process OpenAI-compatible upstream for tests. Its behaviour is picked by the upstream model name:
/// `hang` never answers (and notes when the caller closes the connection), `fail` answers 429 with an OpenAI error, `html` answers 503 with HTML; anything else
/// answers like OpenAI (JSON, or SSE when `stream` is true), with a `usage` object.
final class MockUpstream: Sendable {
    struct Received: Sendable {
        var path: String
        var headers: HTTPFields
        var body: String
        /// The raw body (transcription uploads only: binary parts do not survive `body`'s UTF-8 decoding).
        var bytes: [UInt8] = []
        /// When the whole request had arrived.
        var at = ContinuousClock.now
    }

    private let state = NIOLockedValueBox<(received: [Received], streamClosedAt: ContinuousClock.Instant?, streamsFinished: Int)>(([], nil, 0))
    private let speechFinished = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let longSpeech = NIOLockedValueBox<(bytes: Int, ended: ContinuousClock.Instant?)>((0, nil))
    /// `voice: "long"`: bytes of the long WAV sent so far, and when sending ended (finished, or a write failed
    /// because the reader went away).
    var longSpeechProgress: (bytes: Int, ended: ContinuousClock.Instant?) {
        longSpeech.withLockedValue { $0 }
    }
    static let longSpeechMinutes = 30
    private let streamFinished = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let hangsClosed = NIOLockedValueBox<[ContinuousClock.Instant]>([])
    /// Pieces of split uploads: (in flight now, most at once, requests so far).
    let pieces = NIOLockedValueBox<(inFlight: Int, most: Int, requests: Int)>((0, 0, 0))
    /// When the connection of each `hang` request was closed by its caller, in order.
    var hangClosedAt: [ContinuousClock.Instant] { hangsClosed.withLockedValue { $0 } }
    /// When the last SSE stream was completely sent.
    var streamFinishedAt: ContinuousClock.Instant? { streamFinished.withLockedValue { $0 } }
    /// When the last speech response was completely sent.
    var speechFinishedAt: ContinuousClock.Instant? { speechFinished.withLockedValue { $0 } }
    let sseChunks: Int
    let sseInterval: Duration

    init(sseChunks: Int = 5, sseInterval: Duration = .milliseconds(50)) {
        self.sseChunks = sseChunks
        self.sseInterval = sseInterval
    }

    var received: [Received] { state.withLockedValue { $0.received } }
    /// Notes a request, for routes defined in extensions.
    func note(_ request: Received) { state.withLockedValue { $0.received.append(request) } }
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

    /// Dimensions of the mock's embeddings.
    static let embeddingDimensions = 256

    /// A hashed bag of words: each lowercased word adds 1 to the dimension its FNV-1a hash picks, so texts that
    /// share words have a high cosine similarity and texts that share none are near 0 — enough for a RAG search
    /// to find the chunk that holds a query's words.
    static func embedding(of text: String) -> [Double] {
        var vector = [Double](repeating: 0, count: embeddingDimensions)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            vector[Int(hash % UInt64(embeddingDimensions))] += 1
        }
        return vector
    }

    /// `/v1/embeddings`: one vector per input (a string or a list of strings), 4 prompt tokens per input; with
    /// `encoding_format: base64`, each vector's Float32 little-endian bytes in base64, as OpenAI sends them.
    static func embeddingsJSON(input: Any?, model: String, base64: Bool = false) -> String {
        let texts = (input as? [String]) ?? [(input as? String) ?? ""]
        let data = texts.enumerated().map { index, text in
            let vector = embedding(of: text)
            if base64 {
                var bytes = Data()
                for value in vector { withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                return #"{"object":"embedding","index":\#(index),"embedding":"\#(bytes.base64EncodedString())"}"#
            }
            let numbers = vector.map { $0 == 0 ? "0" : String($0) }.joined(separator: ",")
            return #"{"object":"embedding","index":\#(index),"embedding":[\#(numbers)]}"#
        }
        return #"{"object":"list","data":[\#(data.joined(separator: ","))],"model":"\#(model)","usage":{"prompt_tokens":\#(4 * texts.count),"total_tokens":\#(4 * texts.count)}}"#
    }

    static func chatJSON(model: String) -> String {
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}"#
    }

    var application: some ApplicationProtocol {
        let router = Router()
        for path in ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] {
            router.post(RouterPath(stringLiteral: path)) { request, context in try await self.answer(request, path: path) }
        }
        router.post("/v1/audio/speech") { request, _ in try await self.speech(request) }
        router.post("/v1/audio/transcriptions") { request, _ in try await self.transcription(request) }
        registerPlatformRoutes(on: router)
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// 1.5 s of a 440 Hz tone as 24 kHz mono s16 WAV — what a wav-only TTS provider returns.
    static let speechSeconds = 1.5
    static var speechWAV: [UInt8] {
        let rate = 24000
        let count = Int(Double(rate) * speechSeconds)
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        bytes.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + count * 2))
        bytes.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(1); u16(1); u32(UInt32(rate)); u32(UInt32(rate * 2)); u16(2); u16(16)
        bytes.append(contentsOf: Array("data".utf8)); u32(UInt32(count * 2))
        for i in 0..<count {
            let sample = Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / Double(rate)))
            withUnsafeBytes(of: sample.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Sends the WAV in 100 ms pieces 50 ms apart, like a provider that streams as it synthesises.
    private func speech(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 10 << 20)
        state.withLockedValue { $0.received.append(Received(path: "/v1/audio/speech", headers: request.headers, body: String(buffer: body))) }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        if json["voice"] as? String == "nobody" {
            let error = #"{"error":{"message":"Voice 'nobody' does not exist","type":"invalid_request_error","param":"voice","code":null}}"#
            return Response(status: .badRequest, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: error)))
        }
        if json["voice"] as? String == "cutoff" {
            // Headers, then the connection drops before the first byte of audio.
            return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init { _ in
                throw CancellationError()
            })
        }
        if json["voice"] as? String == "long" {
            // 30 minutes of the tone as fast as the reader takes it (it reads as fast as it transcodes).
            let second = Array(Self.speechWAV.dropFirst(44).prefix(48000))
            let seconds = Self.longSpeechMinutes * 60
            return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init { writer in
                defer { self.longSpeech.withLockedValue { $0.ended = .now } }
                try await writer.write(ByteBuffer(bytes: WAVFile.header(sampleRate: 24000, sampleCount: seconds * 24000) ?? []))
                for _ in 0..<seconds {
                    try await writer.write(ByteBuffer(bytes: second))
                    self.longSpeech.withLockedValue { $0.bytes += second.count }
                }
                try await writer.finish(nil)
            })
        }
        // Asked for pcm: OpenAI's headerless 24 kHz s16le mono.
        let pcm = json["response_format"] as? String == "pcm"
        let wav = pcm ? Array(Self.speechWAV.dropFirst(44)) : Self.speechWAV
        return Response(status: .ok, headers: [.contentType: pcm ? "audio/pcm" : "audio/wav"], body: .init { writer in
            var offset = 0
            while offset < wav.count {
                let end = min(wav.count, offset + 4800)
                try await writer.write(ByteBuffer(bytes: wav[offset..<end]))
                offset = end
                try await Task.sleep(for: .milliseconds(50))
            }
            try await writer.finish(nil)
            self.speechFinished.withLockedValue { $0 = .now }
        })
    }

    /// A provider that only answers verbose_json, with a segment past the one-hour mark.
    static let verboseTranscript = #"{"task":"transcribe","language":"english","duration":3727.25,"text":"Hello there. General Kenobi.","segments":[{"id":0,"seek":0,"start":0.0,"end":1.5,"text":" Hello there."},{"id":1,"seek":0,"start":3725.5,"end":3727.25,"text":" General Kenobi."}]}"#

    private func transcription(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 20)
        let head = String(decoding: body.readableBytesView.prefix(4096), as: UTF8.self)
        state.withLockedValue { $0.received.append(Received(path: "/v1/audio/transcriptions", headers: request.headers, body: head, bytes: Array(body.readableBytesView))) }
        // Like the newer hosted models: JSON text only, whatever format was asked; or a broken provider.
        switch Self.formField("model", in: head) {
        case "text-only":
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"text":"\#(Self.textOnlyTranscript)"}"#)))
        case "piece-stt", "flaky-piece-stt":
            // One segment over the whole piece, read from its WAV header; the flaky one fails its first request.
            let request = pieces.withLockedValue { state -> Int in
                state.inFlight += 1
                state.most = max(state.most, state.inFlight)
                state.requests += 1
                return state.requests
            }
            defer { pieces.withLockedValue { $0.inFlight -= 1 } }
            try await Task.sleep(for: .milliseconds(100))
            if Self.formField("model", in: head) == "flaky-piece-stt" && request == 1 {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"busy","type":"server_error"}}"#)))
            }
            // The file part starts after the form fields, within the first few kilobytes.
            let bytes = Array(body.readableBytesView.prefix(8192))
            guard let riff = bytes.indices.first(where: { bytes[$0...].starts(with: Array("RIFF".utf8)) }), riff + 44 <= bytes.count else {
                return Response(status: .badRequest)
            }
            let dataBytes = (0..<4).reduce(0) { $0 | Int(bytes[riff + 40 + $1]) << (8 * $1) }
            let seconds = Double(dataBytes / 2) / 16000
            let answer = #"{"text":"part","language":"english","duration":\#(seconds),"segments":[{"id":0,"start":0.0,"end":\#(seconds),"text":"part"}]}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
        case "gpt-4o-transcribe-diarize":
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: Self.diarizedTranscript)))
        case "garbage":
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html><body>Bad gateway</body></html>")))
        default:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: Self.verboseTranscript)))
        }
    }

    /// What the diarizing model answers, whatever it is sent (OpenAI's diarized_json shape).
    static let diarizedTranscript = #"{"task":"transcribe","duration":4.5,"text":"Hello there. General Kenobi.","segments":[{"type":"transcript.text.segment","id":"seg_001","start":0.0,"end":1.5,"text":"Hello there.","speaker":"A"},{"type":"transcript.text.segment","id":"seg_002","start":2.0,"end":4.5,"text":"General Kenobi.","speaker":"Grievous"}]}"#

    /// What the `text-only` model answers, whatever it is sent.
    static let textOnlyTranscript = "Please turn off the lights in the kitchen, and open the door to the garden."

    /// The value of a multipart form field (`name="…"`, blank line, value).
    static func formField(_ name: String, in body: String) -> String? {
        guard let marker = body.range(of: "name=\"\(name)\"\r\n\r\n") else { return nil }
        return body[marker.upperBound...].components(separatedBy: "\r\n").first
    }

    private func answer(_ request: Request, path: String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 10 << 20)
        let text = String(buffer: body)
        state.withLockedValue { $0.received.append(Received(path: path, headers: request.headers, body: text)) }
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let model = json["model"] as? String ?? "?"
        if let scripted = scriptedChat(model: model, stream: json["stream"] as? Bool == true) { return scripted }
        switch model {
        case "hang":
            // Holds the request until the caller closes the connection (or 30 s pass), and notes the close: a
            // gateway that gives up on a provider must close its connection, not leave it waiting.
            let (closed, signalClose) = AsyncStream<Void>.makeStream()
            try await request.body.consumeWithInboundCloseHandler({ _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await Task.sleep(for: .seconds(30)) }
                    group.addTask { for await _ in closed {} }
                    try await group.next()
                    group.cancelAll()
                }
            }, onInboundClosed: {
                self.hangsClosed.withLockedValue { $0.append(.now) }
                signalClose.finish()
            })
            return Response(status: .ok)
        case "fail":
            let error = #"{"error":{"message":"Upstream says slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#
            return Response(status: .tooManyRequests, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: error)))
        case "cut":
            // Declares 400 bytes, sends the first 40, then drops the connection.
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(contentLength: 400) { writer in
                try await writer.write(ByteBuffer(string: String(Self.chatJSON(model: model).prefix(40))))
                throw CancellationError()
            })
        case "html":
            return Response(status: .serviceUnavailable, headers: [.contentType: "text/html"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html><body>Service Unavailable</body></html>")))
        case "translator":
            // Answers a JSON list of strings with each one prefixed "EN:"; a list of two or more in a code fence.
            let messages = json["messages"] as? [[String: Any]] ?? []
            let content = messages.last?["content"] as? String ?? "[]"
            let items = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String] ?? []
            let list = String(decoding: try JSONSerialization.data(withJSONObject: items.map { "EN: " + $0 }), as: UTF8.self)
            let reply = items.count > 1 ? "```json\n" + list + "\n```" : list
            let completion: [String: Any] = ["id": "chatcmpl-t", "object": "chat.completion", "model": model,
                                             "choices": [["index": 0, "message": ["role": "assistant", "content": reply], "finish_reason": "stop"]]]
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(data: try JSONSerialization.data(withJSONObject: completion))))
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
                    self.streamFinished.withLockedValue { $0 = .now }
                } catch {
                    self.state.withLockedValue { $0.streamClosedAt = .now }
                    throw error
                }
            })
        }
        let answer: String
        switch path {
        case "/v1/embeddings":
            answer = Self.embeddingsJSON(input: json["input"], model: model, base64: json["encoding_format"] as? String == "base64")
        case "/v1/completions":
            answer = #"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"\#(model)","choices":[{"text":" world","index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}"#
        default:
            answer = Self.chatJSON(model: model)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", HTTPField.Name("x-upstream")!: "mock"],
                        body: .init(byteBuffer: ByteBuffer(string: answer)))
    }
}
