import NIOConcurrencyHelpers

/// One `synthesize` call on its way through the espeak thread. The stream's consumer, the engine's
/// `shutdown()` and the worker thread all touch it, so its mutable state is locked.
final class SynthesisJob: Sendable {
    enum Stop: Sendable { case consumerGone, shutdown, limitReached }

    let text: String
    let voiceName: String
    let wordsPerMinute: Int
    let pitch: Int
    /// Where the request's ``SpeechRequest/maxSeconds`` stops synthesis, in samples.
    let maxSamples: Int?
    let continuation: AsyncThrowingStream<[Int16], any Error>.Continuation
    private let stop = NIOLockedValueBox<Stop?>(nil)
    private let stats = NIOLockedValueBox<(chunks: Int, samples: Int)>((0, 0))
    /// The engine's counter of samples made, over all its jobs.
    private let engineProgress: NIOLockedValueBox<Int>

    init(text: String, voiceName: String, wordsPerMinute: Int, pitch: Int, maxSamples: Int?,
         continuation: AsyncThrowingStream<[Int16], any Error>.Continuation, engineProgress: NIOLockedValueBox<Int>) {
        self.engineProgress = engineProgress
        self.text = text
        self.voiceName = voiceName
        self.wordsPerMinute = wordsPerMinute
        self.pitch = pitch
        self.maxSamples = maxSamples
        self.continuation = continuation
    }

    var stopReason: Stop? { stop.withLockedValue { $0 } }
    var isStopped: Bool { stopReason != nil }

    /// Asks the job to stop; the first reason wins.
    func requestStop(_ reason: Stop) {
        stop.withLockedValue { if $0 == nil { $0 = reason } }
    }

    /// Hands one buffer to the consumer. Returns false when synthesis should stop.
    func deliver(_ samples: UnsafeBufferPointer<Int16>) -> Bool {
        if isStopped { return false }
        var samples = samples
        var reachedLimit = false
        if let maxSamples {
            let room = maxSamples - producedSamples
            if samples.count >= room {
                samples = UnsafeBufferPointer(rebasing: samples.prefix(max(0, room)))
                reachedLimit = true
            }
        }
        stats.withLockedValue { $0.chunks += 1; $0.samples += samples.count }
        engineProgress.withLockedValue { $0 += samples.count }
        if !samples.isEmpty, case .terminated = continuation.yield(Array(samples)) {
            requestStop(.consumerGone)
            return false
        }
        if reachedLimit {
            requestStop(.limitReached)
            return false
        }
        return true
    }

    /// Ends the stream: normally, with `error`, or as the stop reason says.
    func finish(error: (any Error)? = nil) {
        switch stopReason {
        case .shutdown: continuation.finish(throwing: EngineError.shutdown("espeak-ng"))
        case .consumerGone: continuation.finish()
        case .limitReached:
            continuation.finish(throwing: EngineError.tooLong(seconds: Double(maxSamples ?? 0) / Double(EspeakEngine.sampleRate)))
        case nil:
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        }
    }

    var producedSamples: Int { stats.withLockedValue { $0.samples } }
}
