import Foundation

/// Server-side turn detection on a live PCM16 stream, shaped like the OpenAI Realtime `server_vad` settings.
///
/// Audio is judged in 20 ms frames by RMS level. `threshold` (0…1, as the protocol's) maps linearly onto −70…−20 dBFS
/// (0.5 → −45 dBFS): a frame louder than that is voiced. Speech starts after ``minimumSpeechMs`` of voiced frames in
/// a row (one click is not a turn) and is reported `prefixPaddingMs` earlier, so the committed audio keeps the
/// onset the level missed. It stops once `silenceDurationMs` passed without a voiced frame; the stop is reported at
/// the moment it is known (the audio sent up to then, silence included, as the protocol's `audio_end_ms` is).
/// Offsets count every sample fed since the detector was made, in milliseconds.
public struct VoiceActivityDetector: Sendable {
    public struct Settings: Sendable, Equatable {
        public var threshold: Double
        public var prefixPaddingMs: Int
        public var silenceDurationMs: Int

        public init(threshold: Double = 0.5, prefixPaddingMs: Int = 300, silenceDurationMs: Int = 500) {
            self.threshold = threshold
            self.prefixPaddingMs = prefixPaddingMs
            self.silenceDurationMs = silenceDurationMs
        }
    }

    public enum Event: Sendable, Equatable {
        /// Speech began at this offset (padding included).
        case speechStarted(audioStartMs: Int)
        /// Speech ended; `audioEndMs` is where the silence that ended it ran out.
        case speechStopped(audioEndMs: Int)
    }

    public static let frameMs = 20
    /// Voiced time needed before a turn starts.
    public static let minimumSpeechMs = 60

    public let sampleRate: Int
    public var settings: Settings
    public private(set) var isSpeaking = false
    /// Samples fed so far (the clock every offset is read on).
    public private(set) var samplesSeen = 0

    private var frame: [Int16] = []
    private var voicedRun = 0
    private var silentRun = 0
    private var runStart = 0

    public init(settings: Settings = Settings(), sampleRate: Int = 24000) {
        self.settings = settings
        self.sampleRate = sampleRate
        frame.reserveCapacity(frameLength)
    }

    private var frameLength: Int { max(1, sampleRate * Self.frameMs / 1000) }

    /// The RMS level (dBFS) a voiced frame exceeds.
    public var levelDBFS: Double {
        let t = settings.threshold.isFinite ? min(1, max(0, settings.threshold)) : 0.5
        return -70 + 50 * t
    }

    /// Feeds audio in any slicing; returns what it revealed, in order.
    public mutating func feed<Samples: Collection<Int16>>(_ samples: Samples) -> [Event] {
        var events: [Event] = []
        for sample in samples {
            frame.append(sample)
            if frame.count == frameLength {
                if let event = judge() { events.append(event) }
                samplesSeen += frame.count
                frame.removeAll(keepingCapacity: true)
            }
        }
        return events
    }

    /// Forgets an unfinished turn (the buffer was committed or cleared by hand); the clock keeps running.
    public mutating func reset() {
        isSpeaking = false
        voicedRun = 0
        silentRun = 0
    }

    private func milliseconds(_ samples: Int) -> Int { Int((Int64(samples) * 1000) / Int64(sampleRate)) }

    private mutating func judge() -> Event? {
        let frameEnd = samplesSeen + frame.count
        if isVoiced(frame) {
            if voicedRun == 0 { runStart = samplesSeen }
            voicedRun += Self.frameMs
            silentRun = 0
            if !isSpeaking, voicedRun >= Self.minimumSpeechMs {
                isSpeaking = true
                return .speechStarted(audioStartMs: max(0, milliseconds(runStart) - max(0, settings.prefixPaddingMs)))
            }
        } else {
            voicedRun = 0
            guard isSpeaking else { return nil }
            silentRun += Self.frameMs
            if silentRun >= max(Self.frameMs, settings.silenceDurationMs) {
                isSpeaking = false
                silentRun = 0
                return .speechStopped(audioEndMs: milliseconds(frameEnd))
            }
        }
        return nil
    }

    private func isVoiced(_ frame: [Int16]) -> Bool {
        var sum = 0.0
        for sample in frame {
            let value = Double(sample)
            sum += value * value
        }
        let rms = (sum / Double(frame.count)).squareRoot() / 32768
        guard rms > 0 else { return false }
        return 20 * log10(rms) > levelDBFS
    }
}
