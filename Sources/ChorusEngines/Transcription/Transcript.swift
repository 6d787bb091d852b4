/// A recognised word with its time span in seconds from the start of the audio.
public struct TranscriptWord: Sendable, Hashable {
    public var word: String
    public var start: Double
    public var end: Double

    public init(word: String, start: Double, end: Double) {
        self.word = word
        self.start = start
        self.end = end
    }
}

/// A run of words between pauses (what srt/vtt cues and `verbose_json` segments are made of).
public struct TranscriptSegment: Sendable, Hashable {
    public var id: Int
    public var start: Double
    public var end: Double
    public var text: String
    public var words: [TranscriptWord]
    /// Who spoke it, when a diarizing model said (`A`, or a known speaker's name).
    public var speaker: String?

    public init(id: Int, start: Double, end: Double, text: String, words: [TranscriptWord], speaker: String? = nil) {
        self.id = id
        self.start = start
        self.end = end
        self.text = text
        self.words = words
        self.speaker = speaker
    }
}

/// The result of a transcription.
public struct Transcript: Sendable, Hashable {
    /// The words joined by single spaces; empty when nothing was recognised.
    public var text: String
    /// The language of the model (`en`).
    public var language: String
    /// Length of the input in seconds.
    public var duration: Double
    public var segments: [TranscriptSegment]
    public var words: [TranscriptWord]

    public init(text: String, language: String, duration: Double, segments: [TranscriptSegment],
                words: [TranscriptWord]) {
        self.text = text
        self.language = language
        self.duration = duration
        self.segments = segments
        self.words = words
    }
}
