import ChorusMedia
import ChorusWire
import NIOConcurrencyHelpers

/// `/v1/audio/speech` on a model served by a realtime upstream (`speech_via: realtime`): one session per call and one
/// out-of-band response asked to read the input verbatim in the caller's voice. The response's PCM16 24 kHz deltas go
/// through the same streaming encoder as the embedded voice, so every response format streams as it is spoken.
struct RealtimeSpeechReader: Sendable {
    static let sampleRate = 24000
    /// What the model is told; the caller's `instructions` (tone, accent) follow it.
    static let verbatim = "Read the user's text aloud exactly as written, word for word, and nothing else. "
        + "Do not answer it, comment on it, translate it or add anything."

    let provider: String
    /// Seconds without an event from the upstream before the call fails (`timeout` of the provider).
    let idleSeconds: Double
    /// Stops the audio at this length (`max_audio_seconds`), as the embedded voice does.
    let maxSeconds: Double

    /// Starts the reading and returns once the first audio arrived, so a refusal (unknown voice, bad instructions)
    /// is still an HTTP error rather than a stream cut short.
    func speak(_ job: SpeechJob, voice: String, session: any RealtimeSession) async throws(GatewayError) -> SynthesizedAudio {
        let encoder: CodecBox<StreamingEncoder>
        do {
            encoder = CodecBox(try StreamingEncoder(format: job.format, inputRate: Self.sampleRate, outputRate: Self.sampleRate))
        } catch {
            throw GatewayError.internalError("Could not start the audio encoder: \(error)")
        }
        let samples = NIOLockedValueBox(0)
        let started = OneShotResult<Void>()
        let watchdog = RealtimeWatchdog(seconds: idleSeconds)
        for event in requests(for: job, voice: voice) {
            await session.receive(.text(event.jsonString))
        }
        let (provider, maxSeconds) = (self.provider, self.maxSeconds)
        let chunks = SynthesizedAudio.produce(onStop: { Task { await session.close(.normal) } }) { continuation in
            let watching = Task { if await watchdog.expired() { await session.close(.failed("no answer")) } }
            defer { watching.cancel() }
            do {
                for await frame in session.outbound {
                    watchdog.touch()
                    guard case .text(let text) = frame, let event = try? JSONParser.parse(Array(text.utf8)) else { continue }
                    switch event["type"]?.stringValue {
                    case "response.output_audio.delta", "response.audio.delta":
                        guard let pcm = event["delta"]?.stringValue.flatMap({ Base64Payload.decode($0.utf8) }) else {
                            throw GatewayError.upstreamFailed(provider: provider, "An audio delta was not base64.")
                        }
                        let block = Self.samples(pcm)
                        let total = samples.withLockedValue { $0 += block.count; return $0 }
                        if Double(total) / Double(Self.sampleRate) > maxSeconds {
                            throw GatewayError.audioTooLong(seconds: nil, limit: maxSeconds, provider: provider, param: "input")
                        }
                        let bytes = try await encoder.run { try $0.feed(block) }
                        started.finish(.success(()))
                        if !bytes.isEmpty { continuation.yield(bytes) }
                    case "response.done":
                        try Self.check(event["response"], provider: provider)
                        let tail = try await encoder.run { try $0.finish() }
                        started.finish(.success(()))
                        if !tail.isEmpty { continuation.yield(tail) }
                        return
                    case "error":
                        throw Self.refusal(event["error"], provider: provider)
                    default:
                        continue
                    }
                }
                throw watchdog.hasExpired
                    ? GatewayError.upstreamTimeout(provider: provider)
                    : GatewayError.upstreamFailed(provider: provider, "The realtime session closed before the speech was done.")
            } catch {
                started.finish(.failure(error))
                throw error
            }
        }
        do {
            try await started.value()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError.upstreamFailed(provider: provider, "The realtime speech failed.")
        }
        return SynthesizedAudio(chunks: chunks, seconds: { Double(samples.withLockedValue { $0 }) / Double(Self.sampleRate) })
    }

    /// `session.update` (voice, speed, audio out only) then the out-of-band `response.create` reading the input.
    func requests(for job: SpeechJob, voice: String) -> [JSONValue] {
        var instructions = Self.verbatim
        if let extra = job.instructions, !extra.isEmpty { instructions += " " + extra }
        let output: JSONValue = ["format": ["type": "audio/pcm", "rate": .number(Self.sampleRate)], "voice": .string(voice),
                                 "speed": .number(min(1.5, max(0.25, job.speed)))]
        let update: JSONValue = ["type": "session.update",
                                 "session": ["type": "realtime", "output_modalities": ["audio"], "audio": ["output": output],
                                             "instructions": .string(instructions)]]
        let message: JSONValue = ["type": "message", "role": "user",
                                  "content": [["type": "input_text", "text": .string(job.input)]]]
        let create: JSONValue = ["type": "response.create",
                                 "response": ["conversation": "none", "output_modalities": ["audio"],
                                              "instructions": .string(instructions), "input": [message],
                                              "audio": ["output": ["voice": .string(voice)]]]]
        return [update, create]
    }

    /// Little-endian PCM16 bytes as samples; an odd last byte is dropped.
    static func samples(_ bytes: [UInt8]) -> [Int16] {
        var block = [Int16](repeating: 0, count: bytes.count / 2)
        for i in block.indices {
            block[i] = Int16(bitPattern: UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8)
        }
        return block
    }

    /// A `response.done` that did not complete is an upstream failure, named by its status.
    static func check(_ response: JSONValue?, provider: String) throws(GatewayError) {
        let status = response?["status"]?.stringValue ?? "completed"
        guard status == "completed" else {
            let reason = response?["status_details"]?["reason"]?.stringValue.map { " (\($0))" } ?? ""
            throw GatewayError.upstreamFailed(provider: provider, "The realtime response ended \(status)\(reason).")
        }
    }

    /// The upstream's `error` event: a bad voice is the caller's mistake, anything else the provider's.
    static func refusal(_ error: JSONValue?, provider: String) -> GatewayError {
        let message = error?["message"]?.stringValue ?? "The realtime upstream refused the speech."
        if let param = error?["param"]?.stringValue, param.hasSuffix("voice") {
            return .invalidParameter("voice", message)
        }
        return .upstreamFailed(provider: provider, message)
    }
}
