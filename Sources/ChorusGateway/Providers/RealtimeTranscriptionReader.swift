import ChorusWire
import Foundation

/// `/v1/audio/transcriptions` on a model served by a realtime transcription session (`transcription_via: realtime`):
/// the upload, decoded to PCM16 24 kHz, is appended in one-second pieces with turn detection off, committed once,
/// and the session's completed transcript is the answer (given times by the local aligner where the format needs
/// them, as for any provider that answers text only).
struct RealtimeTranscriptionReader: Sendable {
    static let sampleRate = 24000
    /// One `input_audio_buffer.append` carries this many samples (one second: 64 KiB of base64, well under the
    /// 15 MiB an event may hold, and small enough that the upstream's back-pressure is felt).
    static let piece = 24000

    let provider: String
    let idleSeconds: Double

    func transcribe(_ samples: [Int16], model: String, language: String?, prompt: String?,
                    session: any RealtimeSession) async throws(GatewayError) -> String {
        var transcription: JSONValue = ["model": .string(model)]
        if let language { transcription.set("language", .string(language)) }
        if let prompt { transcription.set("prompt", .string(prompt)) }
        let update: JSONValue = ["type": "session.update",
                                 "session": ["type": "transcription",
                                             "audio": ["input": ["format": ["type": "audio/pcm", "rate": .number(Self.sampleRate)],
                                                                 "transcription": transcription, "turn_detection": .null]]]]
        await session.receive(.text(update.jsonString))
        var start = 0
        while start < samples.count {
            if Task.isCancelled {
                await session.close(.normal)
                throw GatewayError.clientClosed("The caller went away during the transcription.")
            }
            let end = min(samples.count, start + Self.piece)
            let append: JSONValue = ["type": "input_audio_buffer.append", "audio": .string(PCM16Wire.encode(samples[start..<end]))]
            await session.receive(.text(append.jsonString))
            start = end
        }
        await session.receive(.text(#"{"type":"input_audio_buffer.commit"}"#))
        return try await completed(session)
    }

    /// Waits for `conversation.item.input_audio_transcription.completed` (or the session's refusal).
    private func completed(_ session: any RealtimeSession) async throws(GatewayError) -> String {
        let watchdog = RealtimeWatchdog(seconds: idleSeconds)
        let watching = Task { if await watchdog.expired() { await session.close(.failed("no answer")) } }
        defer { watching.cancel() }
        var deltas = ""
        for await frame in session.outbound {
            watchdog.touch()
            guard case .text(let text) = frame, let event = try? JSONParser.parse(Array(text.utf8)) else { continue }
            switch event["type"]?.stringValue {
            case "conversation.item.input_audio_transcription.delta":
                deltas += event["delta"]?.stringValue ?? ""
            case "conversation.item.input_audio_transcription.completed":
                await session.close(.normal)
                return event["transcript"]?.stringValue ?? deltas
            case "conversation.item.input_audio_transcription.failed", "error":
                await session.close(.normal)
                let message = event["error"]?["message"]?.stringValue ?? "The realtime transcription failed."
                throw GatewayError.upstreamFailed(provider: provider, message)
            default:
                continue
            }
        }
        if watchdog.hasExpired { throw GatewayError.upstreamTimeout(provider: provider) }
        throw GatewayError.upstreamFailed(provider: provider, "The realtime session closed before the transcript was done.")
    }
}
