import Foundation
import NIOConcurrencyHelpers
public import Logging

/// Embedded text-to-speech on libespeak-ng, in-process.
///
/// - Threading: espeak-ng is process-global and not thread-safe. Every call to it runs on one dedicated
///   thread (`chorus.espeak`, shared by all engines of the process and kept for its lifetime, see
///   `EspeakRuntime`), fed by a locked FIFO queue, so requests are serialised: never on an event loop, never
///   concurrently. Requests from many tasks queue up and run one after the other.
/// - Output: 22050 Hz, signed 16-bit, mono PCM, delivered in ~100 ms chunks as espeak's synth callback
///   produces them, so the first audio arrives long before a long text is done (measured: first chunk
///   after <1 ms, 222 s of audio in 0.25–1.2 s on 2 busy cores). The stream buffers without bound: synthesis
///   runs hundreds of times faster than real time, so a slow consumer holds at most the whole clip
///   (~2.6 MB per minute), and the espeak thread is never held up by one slow client.
/// - Determinism: the same request does not give byte-identical PCM twice in one process: espeak's flutter
///   and noise generators carry state between utterances (up to ~3% difference in length, measured).
/// - Cancellation: when the consumer stops (task cancelled, stream dropped), the synth callback returns 1
///   and espeak stops within one chunk; queued requests whose consumer is gone are skipped.
///   ``samplesSynthesized`` shows the engine's progress.
public final class EspeakEngine: Sendable {
    public static let sampleRate = 22050
    /// espeak-ng's default speaking rate, used for speed 1.0.
    public static let defaultWordsPerMinute = 175
    /// The rates espeak-ng accepts (`espeakRATE_MINIMUM`…`espeakRATE_MAXIMUM`).
    public static let wordsPerMinuteRange = 80...450

    private struct State {
        var isShutdown = false
        var jobs: [ObjectIdentifier: SynthesisJob] = [:]
    }

    private let pool: WorkerPool<EspeakSession>
    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    private let synthesized = NIOLockedValueBox(0)

    /// Samples this engine's requests have had from espeak-ng so far: grows while one of them is being spoken and
    /// stands still otherwise (a progress counter for monitoring and tests).
    public var samplesSynthesized: Int { synthesized.withLockedValue { $0 } }

    /// Starts espeak-ng (`espeak_ng_InitializePath`, `espeak_ng_Initialize`,
    /// `espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS)`) on the espeak thread, or joins the running one.
    /// Blocks until espeak is ready (a few milliseconds).
    /// - Parameter dataPath: the espeak-ng-data directory; `nil` uses the library's default.
    public init(dataPath: String? = nil, logger: Logger = Logger(label: "chorus.engines.espeak")) throws {
        self.logger = logger
        self.pool = try EspeakRuntime.shared.worker(dataPath: dataPath)
    }

    deinit {
        shutdown()
    }

    /// Maps an OpenAI `speed` (0.25–4.0, 1.0 normal) to espeak words per minute: 175 × speed, rounded,
    /// clamped to espeak-ng's 80–450 wpm. So speeds below ~0.46 all sound like 0.46 and speeds above ~2.57
    /// all sound like 2.57; a non-finite or non-positive speed means 1.0.
    public static func wordsPerMinute(speed: Double) -> Int {
        let speed = speed.isFinite && speed > 0 ? speed : 1.0
        let wpm = (Double(defaultWordsPerMinute) * speed).rounded()
        return Int(min(max(wpm, Double(wordsPerMinuteRange.lowerBound)), Double(wordsPerMinuteRange.upperBound)))
    }

    /// The espeak voice name for a preset and an optional language: the request's language replaces the
    /// preset's language unless both share a primary subtag (`en` keeps a preset's `en-gb`); the preset's
    /// variant is kept either way. `("en-us+f3", "fr")` gives `fr+f3`; `("en-gb-x-rp+m4", "en")` keeps it.
    public static func voiceName(preset: VoicePreset, language: String?) throws -> String {
        guard let language, !language.isEmpty else { return preset.espeakVoice }
        let tag = language.lowercased().replacingOccurrences(of: "_", with: "-")
        guard isPlausibleLanguageTag(tag) else { throw EngineError.invalidLanguage(language) }
        let base = preset.baseLanguage.lowercased()
        if tag == base || (!tag.contains("-") && primarySubtag(tag) == primarySubtag(base)) {
            return preset.espeakVoice
        }
        return preset.variant.map { "\(tag)+\($0)" } ?? tag
    }

    /// Speaks `request` and streams the PCM (22050 Hz s16 mono) chunk by chunk as it is produced.
    /// Errors end the stream; the caller errors (unknown language or voice: ``EngineError/Code/voiceNotFound``,
    /// ``EngineError/Code/invalidLanguage``) always come before any audio, so awaiting the first element is
    /// enough to choose between an error response and a streamed one. Engine shut down:
    /// ``EngineError/Code/shutdown``. Empty text gives (almost) no audio and no error.
    public func synthesize(_ request: SpeechRequest) -> AsyncThrowingStream<[Int16], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[Int16], any Error>.makeStream()
        let voiceName: String
        do {
            voiceName = try Self.voiceName(preset: request.voice, language: request.language)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        let job = SynthesisJob(
            text: request.text.replacingOccurrences(of: "\u{0}", with: " "),
            voiceName: voiceName,
            wordsPerMinute: Self.wordsPerMinute(speed: request.speed),
            pitch: min(max(request.voice.pitch ?? 50, 0), 100),
            maxSamples: request.maxSeconds.map { Int(max(0, $0) * Double(Self.sampleRate)) },
            continuation: continuation, engineProgress: synthesized)
        let id = ObjectIdentifier(job)
        let registered = state.withLockedValue { state -> Bool in
            guard !state.isShutdown else { return false }
            state.jobs[id] = job
            return true
        }
        guard registered else {
            continuation.finish(throwing: EngineError.shutdown("espeak-ng"))
            return stream
        }
        continuation.onTermination = { [weak job] _ in job?.requestStop(.consumerGone) }

        // The queued job keeps the engine alive: dropping the engine while a stream is still being consumed
        // does not cut the stream short (an explicit `shutdown()` does).
        let accepted = pool.submit(.init(
            run: { session in self.run(job, in: session) },
            drop: { self.stop(job, reason: .shutdown) }))
        if !accepted {
            stop(job, reason: .shutdown)
        }
        return stream
    }

    /// Runs on the espeak thread.
    private func run(_ job: SynthesisJob, in session: EspeakSession) {
        defer { unregister(job) }
        guard !job.isStopped else { return job.finish() }
        let start = ContinuousClock.now
        do {
            try session.speak(job)
            job.finish()
            logger.debug("espeak synthesis done", metadata: [
                "chorus.voice": "\(job.voiceName)", "chorus.wpm": "\(job.wordsPerMinute)",
                "chorus.samples": "\(job.producedSamples)", "chorus.elapsed": "\(ContinuousClock.now - start)",
            ])
        } catch {
            logger.debug("espeak synthesis failed", metadata: ["chorus.error": "\(error)"])
            job.finish(error: error)
        }
    }

    private func stop(_ job: SynthesisJob, reason: SynthesisJob.Stop) {
        unregister(job)
        job.requestStop(reason)
        job.finish()
    }

    private func unregister(_ job: SynthesisJob) {
        _ = state.withLockedValue { $0.jobs.removeValue(forKey: ObjectIdentifier(job)) }
    }

    /// Stops this engine: new requests fail with ``EngineError/Code/shutdown``, running and queued ones end with
    /// that error promptly. The shared espeak thread stays (idle) for other engines. Idempotent; also called on deinit.
    public func shutdown() {
        let jobs: [SynthesisJob]? = state.withLockedValue { state in
            guard !state.isShutdown else { return nil }
            state.isShutdown = true
            return Array(state.jobs.values)
        }
        guard let jobs else { return }
        for job in jobs { job.requestStop(.shutdown) }
    }

    // MARK: - Validation helpers

    /// `en`, `pt-br`, `en-gb-x-rp`, `cmn`: letters/digits in dash-separated subtags, primary 2–3 letters.
    static func isPlausibleLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let primary = parts.first, (2...3).contains(primary.count),
              primary.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }

    /// A preset's espeak voice: a language tag or voice name, optionally `+variant`; no paths.
    static func isPlausibleVoiceName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 64 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-+_".contains($0)) }
    }

    private static func primarySubtag(_ tag: String) -> Substring {
        tag.split(separator: "-", maxSplits: 1).first ?? Substring(tag)
    }
}
