import ChorusEngines
import ChorusMedia
import ChorusWire
import NIOConcurrencyHelpers
import NIOCore

extension BuiltinProvider: TranscriptionProvider {
    var longestUpload: Double { config.maxAudioSeconds }

    /// The upload decoded to 16 kHz and recognised by pocketsphinx; streamed as deltas while the hypothesis grows.
    /// Both stages stop within a chunk when the request is cancelled (its client left): the decode polls a flag
    /// the cancellation sets, the recogniser's thread its job's flag.
    func transcribe(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult {
        guard job.format != .diarizedJSON else {
            throw .invalidParameter("response_format", "'\(model.name)' cannot tell speakers apart; diarized_json needs a diarizing model (e.g. gpt-4o-transcribe-diarize).")
        }
        let pcm = try await job.samples16k(provider: config.name, what: "decoded")
        let engine = try recogniser()
        if job.stream {
            return TranscriptionResult(answer: .live(Self.events(engine: engine, samples: pcm.samples)), audioSeconds: pcm.duration)
        }
        do {
            return TranscriptionResult(answer: .transcript(try await engine.transcribe(pcm.samples)), audioSeconds: pcm.duration)
        } catch is CancellationError {
            throw GatewayError.clientClosed("The transcription stopped: the request was cancelled.")
        } catch {
            throw GatewayError.internalError("Transcription failed: \(error)")
        }
    }

    /// A delta per finished utterance (the engine's partials only ever grow), then the final text: the deltas
    /// joined are the final text.
    static func events(engine: PocketSphinxEngine, samples: [Int16]) -> AsyncThrowingStream<TranscriptEvent, any Error> {
        let (events, continuation) = AsyncThrowingStream<TranscriptEvent, any Error>.makeStream()
        let sent = NIOLockedValueBox("")
        let work = Task {
            do {
                let transcript = try await engine.transcribe(samples) { partial in
                    // Partials extend each other; the check keeps deltas append-only should that ever change.
                    let delta: String? = sent.withLockedValue { sentText in
                        guard partial.hasPrefix(sentText), partial.count > sentText.count else { return nil }
                        let piece = String(partial.dropFirst(sentText.count))
                        sentText = partial
                        return piece
                    }
                    if let delta { continuation.yield(.delta(delta)) }
                }
                let already = sent.withLockedValue { $0 }
                if transcript.text.hasPrefix(already), transcript.text.count > already.count {
                    continuation.yield(.delta(String(transcript.text.dropFirst(already.count))))
                }
                continuation.yield(.done(transcript.text))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in work.cancel() }
        return events
    }
}
