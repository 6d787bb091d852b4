import ChorusEngines
import ChorusMedia
import ChorusWire
import Logging
import NIOCore

/// `speech_via: realtime` and `transcription_via: realtime`: the REST media routes served by a realtime session of
/// the same provider, for models (or providers) that no longer answer `/audio/speech` or `/audio/transcriptions`.
extension OpenAICompatibleProvider {
    /// A provider has no request logger; the sessions it opens for the readers log under this label.
    private static let realtimeLogger = Logger(label: "chorus.realtime")

    /// One session per call, one out-of-band response reading the input verbatim in the caller's voice.
    func synthesizeThroughRealtime(_ job: SpeechJob, model: ModelConfig) async throws(GatewayError) -> SpeechResult {
        let voice: String
        switch job.voice {
        case .sample:
            throw GatewayError.invalidParameter("voice", "Model '\(model.name)' is read aloud by a realtime session, "
                + "which speaks its own voices: give a voice name, not an audio sample.")
        case .named(let name):
            voice = name ?? "alloy"
        }
        let session = try await openRealtimeSession(model: model, intent: .conversation, logger: Self.realtimeLogger)
        let reader = RealtimeSpeechReader(provider: name, idleSeconds: config.timeout, maxSeconds: config.maxAudioSeconds)
        do {
            return .audio(try await reader.speak(job, voice: voice, session: session))
        } catch {
            await session.close(.normal)
            throw error
        }
    }

    /// The upload decoded to PCM16 24 kHz, appended to a transcription session and committed once; the transcript
    /// is text, given times by the local aligner when the caller's format needs them.
    func transcribeThroughRealtime(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult {
        let (audio, limits, provider) = (job.file.data, job.limits, name)
        let pcm = try await Offload.cancellable { flag throws(GatewayError) in
            do {
                return try audio.withUnsafeReadableBytes {
                    try AudioDecoder.decode($0, sampleRate: RealtimeTranscriptionReader.sampleRate, limits: limits, cancellation: flag)
                }
            } catch {
                throw .undecodableUpload(error, limit: limits.maxDurationSeconds, provider: provider, what: "decoded")
            }
        }
        let seconds = Double(pcm.samples.count) / Double(pcm.sampleRate)
        let session = try await openRealtimeSession(model: model, intent: .transcription, logger: Self.realtimeLogger)
        let reader = RealtimeTranscriptionReader(provider: name, idleSeconds: config.timeout)
        let text: String
        do {
            text = try await reader.transcribe(pcm.samples, model: model.model, language: job.language, prompt: job.prompt,
                                               session: session)
        } catch {
            await session.close(.normal)
            throw error
        }
        guard Self.needsTimes(job) else {
            let transcript = Transcript(text: text, language: job.language ?? "en", duration: seconds, segments: [], words: [])
            return TranscriptionResult(answer: .transcript(transcript), audioSeconds: seconds)
        }
        let aligned = try await align(text, language: job.language, upload: job)
        return TranscriptionResult(answer: .transcript(aligned.transcript), audioSeconds: seconds, timestamps: aligned.method)
    }
}
