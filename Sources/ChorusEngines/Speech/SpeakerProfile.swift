import Foundation

/// What can be measured of a speaker from a short recording without a neural model: the median pitch of the
/// voiced frames and the speaking rate in syllables per second of speech. ``VoiceMatch`` turns it into an
/// espeak-ng voice.
public struct SpeakerProfile: Sendable, Hashable {
    /// Median fundamental frequency of the voiced frames, in Hz.
    public var pitchHz: Double
    /// Energy peaks (syllable nuclei) per second of speech.
    public var syllablesPerSecond: Double

    public init(pitchHz: Double, syllablesPerSecond: Double) {
        self.pitchHz = pitchHz
        self.syllablesPerSecond = syllablesPerSecond
    }

    /// The rate the estimators work at (other rates are resampled linearly first).
    public static let sampleRate = 16000
    /// Enough voiced audio for a stable median; longer samples are measured on their first 20 s.
    static let analysedSeconds = 20

    /// The profile of mono samples at `rate` Hz, or nil when fewer than ``minimumVoicedFrames`` frames are voiced
    /// (silence, noise, a whisper: nothing to match).
    public static func estimate(_ samples: [Int16], sampleRate rate: Int = sampleRate) -> SpeakerProfile? {
        guard rate > 0 else { return nil }
        let input = samples.prefix(rate * analysedSeconds).map(Double.init)
        let clip = rate == sampleRate ? input : resample(input, from: rate)
        guard let pitch = medianPitch(clip), let rate = syllableRate(clip) else { return nil }
        return SpeakerProfile(pitchHz: pitch, syllablesPerSecond: rate)
    }

    static let minimumVoicedFrames = 10

    /// Linear interpolation to ``sampleRate``: enough for pitch and energy, which is all that is measured.
    static func resample(_ input: [Double], from rate: Int) -> [Double] {
        let step = Double(rate) / Double(sampleRate)
        let count = Int(Double(input.count) / step)
        guard input.count > 1 else { return input }
        return (0..<count).map { index in
            let position = Double(index) * step
            let low = min(Int(position), input.count - 2)
            let fraction = position - Double(low)
            return input[low] * (1 - fraction) + input[low + 1] * fraction
        }
    }

    /// Normalised autocorrelation on 40 ms frames (20 ms hop) of the signal decimated to 8 kHz; a frame is voiced
    /// when it is within 20 dB of the loudest and its best lag (60–400 Hz) correlates above 0.6.
    static func medianPitch(_ clip: [Double]) -> Double? {
        let rate = 8000.0
        let decimated = stride(from: 0, to: clip.count - 1, by: 2).map { (clip[$0] + clip[$0 + 1]) / 2 }
        let window = 320
        let hop = 160
        guard decimated.count > window else { return nil }
        let starts = Array(stride(from: 0, to: decimated.count - window, by: hop))
        let levels = starts.map { start in
            (sqrt(decimated[start..<start + window].reduce(0) { $0 + $1 * $1 } / Double(window)))
        }
        let gate = max((levels.max() ?? 0) * 0.1, 30)
        let lags = Int(rate / 400)...Int(rate / 60)
        var pitches: [Double] = []
        decimated.withUnsafeBufferPointer { signal in
            for (start, level) in zip(starts, levels) where level >= gate {
                let frame = signal[start..<start + window]
                let mean = frame.reduce(0, +) / Double(window)
                let centred = frame.map { $0 - mean }
                var best = 0.0
                var bestLag = 0
                for lag in lags {
                    var cross = 0.0, head = 0.0, tail = 0.0
                    for index in 0..<(window - lag) {
                        let a = centred[index], b = centred[index + lag]
                        cross += a * b
                        head += a * a
                        tail += b * b
                    }
                    let correlation = cross / (sqrt(head * tail) + 1e-9)
                    if correlation > best { (best, bestLag) = (correlation, lag) }
                }
                if best > 0.6, bestLag > 0 { pitches.append(rate / Double(bestLag)) }
            }
        }
        guard pitches.count >= minimumVoicedFrames else { return nil }
        return pitches.sorted()[pitches.count / 2]
    }

    /// Peaks of the 10 ms energy envelope (dB, smoothed over 50 ms) at least 50 ms from a louder neighbour, within
    /// 25 dB of the loudest frame and 3 dB above the dip since the previous peak, per second of frames within
    /// 35 dB of the loudest.
    static func syllableRate(_ clip: [Double]) -> Double? {
        let hop = sampleRate / 100
        let count = clip.count / hop
        guard count > 10 else { return nil }
        let raw = (0..<count).map { frame -> Double in
            let slice = clip[(frame * hop)..<((frame + 1) * hop)]
            return 10 * log10(slice.reduce(0) { $0 + $1 * $1 } / Double(hop) + 1)
        }
        let envelope = (0..<count).map { index -> Double in
            let range = max(0, index - 2)...min(count - 1, index + 2)
            return raw[range].reduce(0, +) / 5
        }
        let top = envelope.max() ?? 0
        let speechSeconds = Double(envelope.filter { $0 > top - 35 }.count) / 100
        guard speechSeconds > 0.2 else { return nil }
        var peaks: [Int] = []
        for index in 5..<(count - 5) where envelope[index] > top - 25
            && envelope[index] >= envelope[(index - 5)...(index + 5)].max() ?? 0 {
            if let last = peaks.last,
               envelope[last..<index].min() ?? 0 > min(envelope[index], envelope[last]) - 3 {
                if envelope[index] > envelope[last] { peaks[peaks.count - 1] = index }
                continue
            }
            peaks.append(index)
        }
        return Double(peaks.count) / speechSeconds
    }
}
