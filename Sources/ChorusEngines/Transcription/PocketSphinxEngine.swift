import Foundation
public import Logging
import NIOConcurrencyHelpers

/// Embedded speech-to-text on pocketsphinx with Debian's en-us model, in-process.
///
/// - Input: 16 kHz signed 16-bit mono PCM (the gateway converts uploads first).
/// - Threading: each decoder is loaded once (≈0.4 s CPU, ~60 MB) and lives on its own dedicated thread
///   (`chorus.pocketsphinx`); requests queue in a locked FIFO and run one per decoder, never on an event loop.
/// - Decoding: the clip is cut into utterances by energy (``SpeechDetector``; pocketsphinx's own VAD skews
///   word times in this build), each utterance is fed in 0.5 s chunks, and words come from `ps_seg_iter`
///   (100 frames/s) with fillers dropped. Segments split at pauses ≥ 0.5 s and at most every ~10 s.
/// - Determinism: cepstral mean normalisation uses the mean of the clip's speech regions (batch), set before
///   every utterance, and pocketsphinx's noise removal (whose estimate is never reset) is off, so the same
///   samples always give the same transcript whatever the decoder did before.
/// - Partial results: after each utterance that produced words, `onPartial` gets the whole transcript so far.
///   Finished utterances never change, so every call extends the previous one and the last equals the final
///   text (a consumer can send the growth as append-only deltas). It runs on the decoder thread, so keep it
///   cheap (e.g. yield into an `AsyncStream`). Utterances end at pauses, and at most every 30 s of speech.
/// - Cancellation: cancelling the calling task throws `CancellationError` at once; the decoder thread stops at
///   the next 0.5 s chunk (or within a minute of audio of the speech detection that comes first, or skips the
///   job if it had not started), so it is free for the next request within milliseconds. ``samplesDecoded``
///   shows the decoder's progress.
/// - Accuracy on synthetic (espeak) voices is poor; measure word error rate, do not rely on exact words.
public final class PocketSphinxEngine: Sendable {
    public static let sampleRate = 16000
    public static let defaultModelDirectory = "/usr/share/pocketsphinx/model/en-us"
    /// Audio fed to `ps_process_raw` per call: 0.5 s, the granularity of partial results and cancellation.
    static let chunkSamples = sampleRate / 2

    public let modelDirectory: String
    let pool: WorkerPool<PocketSphinxDecoder>
    let logger: Logger
    let decoded = NIOLockedValueBox(0)

    /// Samples this engine has fed to pocketsphinx so far, over all requests: grows while a decoder works and
    /// stands still when none does (a progress counter for monitoring and tests).
    public var samplesDecoded: Int { decoded.withLockedValue { $0 } }

    /// Loads the model into `decoders` decoders (each on its own thread; more decoders run more requests in
    /// parallel at ~60 MB each). Throws ``EngineError/Code/modelNotFound`` or ``EngineError/Code/initializationFailed``.
    /// - Parameter extraArguments: extra pocketsphinx flags, e.g. `["-maxhmmpf", "3000", "-topn", "2"]`
    ///   (about twice as fast, slightly less accurate).
    public init(modelDirectory: String = PocketSphinxEngine.defaultModelDirectory, decoders: Int = 1,
                extraArguments: [String] = [],
                logger: Logger = Logger(label: "chorus.engines.pocketsphinx")) throws {
        self.modelDirectory = modelDirectory
        self.logger = logger
        let start = ContinuousClock.now
        self.pool = try WorkerPool(name: "chorus.pocketsphinx", count: decoders) { _ in
            try PocketSphinxDecoder(modelDirectory: modelDirectory, extraArguments: extraArguments)
        }
        logger.debug("pocketsphinx model loaded", metadata: [
            "chorus.model": "\(modelDirectory)", "chorus.decoders": "\(pool.threadCount)",
            "chorus.elapsed": "\(ContinuousClock.now - start)",
        ])
    }

    deinit {
        pool.shutdown()
    }

    /// Stops the decoder threads: queued requests fail with ``EngineError/Code/shutdown``, a running one finishes.
    /// Idempotent; also done on deinit.
    public func shutdown() {
        pool.shutdown()
    }

    /// Transcribes 16 kHz s16 mono PCM. An empty array or a clip without speech gives an empty transcript.
    public func transcribe(_ samples: [Int16], onPartial: (@Sendable (String) -> Void)? = nil) async throws -> Transcript {
        try Task.checkCancellation()
        let duration = Double(samples.count) / Double(Self.sampleRate)
        if samples.isEmpty {
            return Transcript(text: "", language: "en", duration: 0, segments: [], words: [])
        }
        let job = TranscriptionJob<Transcript>(samples: samples, onPartial: onPartial)
        let progress = self.decoded
        return try await run(job, what: "transcription", seconds: duration) { decoder in
            try Self.decode(job, with: decoder, duration: duration, progress: progress)
        }
    }

    /// Queues `work` for the next free decoder and waits for it; cancelling the calling task fails the wait at
    /// once and makes the job stop (or never start) on its decoder.
    func run<Output: Sendable>(_ job: TranscriptionJob<Output>, what: String, seconds: Double,
                               _ work: @escaping @Sendable (PocketSphinxDecoder) throws -> Output) async throws -> Output {
        let pool = self.pool
        let logger = self.logger
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                job.attach(continuation)
                let accepted = pool.submit(.init(
                    run: { decoder in
                        if job.isCancelled { return job.resume(with: .failure(CancellationError())) }
                        let start = ContinuousClock.now
                        let result = Result { try work(decoder) }
                        logger.debug("pocketsphinx \(what)", metadata: [
                            "chorus.audio_seconds": "\(seconds)",
                            "chorus.elapsed": "\(ContinuousClock.now - start)",
                        ])
                        job.resume(with: result)
                    },
                    drop: { job.resume(with: .failure(EngineError.shutdown("pocketsphinx"))) }))
                if !accepted {
                    job.resume(with: .failure(EngineError.shutdown("pocketsphinx")))
                }
            }
        } onCancel: {
            job.cancel()
        }
    }

    /// Runs on a decoder thread.
    static func decode<Output>(_ job: TranscriptionJob<Output>, with decoder: PocketSphinxDecoder,
                               duration: Double, progress: NIOLockedValueBox<Int>) throws -> Transcript {
        let regions = SpeechDetector(sampleRate: sampleRate).regions(in: job.samples) { job.isCancelled }
        if job.isCancelled { throw CancellationError() }
        var words: [TranscriptWord] = []
        let frameSeconds = 1.0 / Double(PocketSphinxDecoder.framesPerSecond)

        try job.samples.withUnsafeBufferPointer { samples in
            let mean = decoder.cepstralMean(of: samples, in: regions) { job.isCancelled }
            if job.isCancelled { throw CancellationError() }
            for region in regions {
                if job.isCancelled { throw CancellationError() }
                // Every utterance starts from the clip's own mean, so nothing of an earlier job or region carries in.
                if let mean { decoder.setCepstralMean(mean) }
                try decoder.startUtterance()
                var position = region.lowerBound
                do {
                    while position < region.upperBound {
                        if job.isCancelled { throw CancellationError() }
                        let end = min(position + chunkSamples, region.upperBound)
                        try decoder.process(UnsafeBufferPointer(rebasing: samples[position..<end]))
                        progress.withLockedValue { $0 += end - position }
                        position = end
                    }
                } catch {
                    try? decoder.endUtterance()  // leave the decoder ready for the next job
                    throw error
                }
                try decoder.endUtterance()
                let offset = Double(region.lowerBound) / Double(sampleRate)
                let before = words.count
                for found in decoder.words() {
                    let start = min(duration, offset + Double(found.startFrame) * frameSeconds)
                    let end = min(duration, max(start, offset + Double(found.endFrame + 1) * frameSeconds))
                    words.append(TranscriptWord(word: found.word, start: start, end: end))
                }
                // Finished utterances never change, so each partial extends the one before it.
                if let onPartial = job.onPartial, words.count > before {
                    onPartial(words.map(\.word).joined(separator: " "))
                }
            }
        }
        let text = words.map(\.word).joined(separator: " ")
        return Transcript(text: text, language: "en", duration: duration,
                          segments: TranscriptSegmenter().segments(from: words), words: words)
    }
}
