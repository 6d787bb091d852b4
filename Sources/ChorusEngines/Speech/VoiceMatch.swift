import Foundation

/// The espeak-ng voice closest to a recorded speaker: voice *matching*, not cloning. espeak-ng is a formant
/// synthesiser; what it can take from a sample is a male or female variant, a base pitch and a speaking rate, and
/// that is what this chooses. Timbre, accent and prosody stay espeak's own.
///
/// The tables below were measured on this build of espeak-ng (1.51, Debian 12) with ``SpeakerProfile``'s own
/// estimators, so a sample of espeak speech matches back to about the voice that spoke it
/// (`VoiceMatchTests`): median pitch of `en+m3` and `en+f2` at espeak pitch 0, 25, 50, 75, 99, and syllables per
/// second at 80–350 words per minute (the mean of `en+m3` and `en+f2`), all through ``EspeakEngine``.
public struct VoiceMatch: Sendable, Hashable {
    /// The espeak voice to speak with (a preset named after the match).
    public var preset: VoicePreset
    /// Multiplies a request's `speed` so that speed 1.0 talks at the sample's rate.
    public var speedFactor: Double
    public var profile: SpeakerProfile

    /// Pitches below this are matched with the male variant, from it up with the female one.
    static let femaleFromHz = 155.0
    static let male = (voice: "en+m3", pitch: [(0.0, 68.0), (25, 83), (50, 104), (75, 133), (99, 170)])
    static let female = (voice: "en+f2", pitch: [(0.0, 127.0), (25, 154), (50, 195), (75, 242), (99, 320)])
    /// (words per minute, syllables per second). The estimator saturates near 7.5 syllables/s, so speakers faster
    /// than ~250 wpm all match to 250–350.
    static let rate: [(Double, Double)] = [(80, 2.70), (120, 3.73), (175, 5.33), (250, 6.96), (350, 7.35)]

    public init(profile: SpeakerProfile) {
        self.profile = profile
        let variant = profile.pitchHz < Self.femaleFromHz ? Self.male : Self.female
        // Pitch is interpolated on a log scale (espeak's pitch parameter is roughly exponential in Hz).
        let pitch = Self.interpolate(log(profile.pitchHz), in: variant.pitch.map { (log($0.1), $0.0) })
        let wordsPerMinute = Self.interpolate(profile.syllablesPerSecond, in: Self.rate.map { ($0.1, $0.0) })
        preset = VoicePreset(name: "matched", espeakVoice: variant.voice, pitch: Int(pitch.rounded()),
                             description: "espeak-ng voice matched to a sample")
        speedFactor = wordsPerMinute / Double(EspeakEngine.defaultWordsPerMinute)
    }

    /// Piecewise-linear in `points` (x ascending → y), clamped to the first and last y.
    static func interpolate(_ x: Double, in points: [(x: Double, y: Double)]) -> Double {
        guard let first = points.first, let last = points.last else { return 0 }
        if !x.isFinite || x <= first.x { return first.y }
        if x >= last.x { return last.y }
        for (low, high) in zip(points, points.dropFirst()) where x <= high.x {
            return low.y + (x - low.x) / (high.x - low.x) * (high.y - low.y)
        }
        return last.y
    }
}
