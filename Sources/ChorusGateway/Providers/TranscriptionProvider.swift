import ChorusEngines
import ChorusMedia
import ChorusUpstream
import ChorusWire
import NIOCore

/// Transcribe (keep the language) or translate (into English).
enum TranscriptionTask: String, Sendable {
    case transcribe, translate

    var route: String { self == .transcribe ? "/audio/transcriptions" : "/audio/translations" }
    var capability: Capability { self == .transcribe ? .transcription : .translation }
}

/// What the caller asked of a transcription besides the file.
struct TranscriptionOptions: Sendable {
    var format: TranscriptFormat
    var language: String?
    var prompt: String?
    var temperature: String?
    var granularities: [String]
    var stream: Bool
    /// Diarization: `auto` or a server-VAD object (JSON text), forwarded as sent.
    var chunkingStrategy: String? = nil
    /// Up to four speakers' names and their reference clips (data URLs), forwarded as sent, in order.
    var knownSpeakerNames: [String] = []
    var knownSpeakerReferences: [String] = []
}

/// One transcription call: the upload, already checked to be audio, and the caller's options.
@dynamicMemberLookup
struct TranscriptionJob: Sendable {
    var task: TranscriptionTask
    var file: MultipartForm.File
    /// From the probe of the upload; `durationIsEstimate` when only a bit-rate estimate.
    var info: AudioInfo
    var limits: AudioLimits
    var options: TranscriptionOptions

    subscript<T>(dynamicMember path: KeyPath<TranscriptionOptions, T>) -> T { options[keyPath: path] }
}

extension TranscriptionJob {
    /// The upload decoded to 16 kHz mono for the embedded recogniser, on the thread pool; stops within a chunk when
    /// the request is cancelled. `what` says in the 400 what Chorus was doing ("decoded", "aligned").
    func samples16k(provider: String, what: String) async throws(GatewayError) -> PCMAudio {
        let (audio, limits) = (file.data, limits)
        return try await Offload.cancellable { flag throws(GatewayError) in
            do {
                return try audio.withUnsafeReadableBytes {
                    try AudioDecoder.decode($0, sampleRate: PocketSphinxEngine.sampleRate, limits: limits, cancellation: flag)
                }
            } catch {
                throw .undecodableUpload(error, limit: limits.maxDurationSeconds, provider: provider, what: what)
            }
        }
    }
}

/// Events of a transcription streamed while it runs.
enum TranscriptEvent: Sendable {
    case delta(String)
    case done(String)
}

/// What a provider made of a transcription call.
struct TranscriptionResult: Sendable {
    enum Answer: Sendable {
        /// The provider rendered the caller's format itself (or refused): passed through as it is.
        case upstreamAnswer(UpstreamResponse)
        /// A transcript Chorus renders in the caller's format.
        case transcript(Transcript)
        /// A provider's whole answer, already read and already in the caller's format.
        case body(ByteBuffer, contentType: String)
        /// Events as the recogniser's hypothesis grows (`stream=true` on an engine that can).
        case live(AsyncThrowingStream<TranscriptEvent, any Error>)
    }

    var answer: Answer
    /// The audio's real length, when the provider measured it (decoding or converting it).
    var audioSeconds: Double?
    /// Set when the times were not the provider's: aligned locally to its text, or estimated (`x-chorus-timestamps`).
    var timestamps: AlignedTranscript.Method? = nil
}

/// Speech to text.
protocol TranscriptionProvider: Sendable {
    /// The longest upload (seconds) it takes at all: longer is a 400 `audio_too_long` before any work.
    var longestUpload: Double { get }
    func transcribe(_ job: TranscriptionJob, model: ModelConfig) async throws(GatewayError) -> TranscriptionResult
}
