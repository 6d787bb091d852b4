/// What ``AudioDecoder/probe(_:limits:)`` finds out about an input.
public struct AudioInfo: Sendable, Hashable {
    /// Container short name: `wav`, `mp3`, `ogg`, `flac`, `mp4` (also m4a/mov), `matroska` (also webm), `aac` (ADTS)…
    public var container: String
    /// Codec short name of the audio stream as FFmpeg names it: `pcm_s16le`, `mp3`, `opus`, `vorbis`, `flac`, `aac`…
    public var codec: String
    /// Duration in seconds, nil when it cannot be known without decoding everything.
    public var duration: Double?
    /// True when `duration` is only the container's bit-rate estimate (a probe asked not to measure it).
    public var durationIsEstimate: Bool
    /// Sample rate of the audio stream.
    public var sampleRate: Int
    /// Channel count of the audio stream.
    public var channels: Int
    /// Bit rate in bits per second when known.
    public var bitRate: Int?

    public init(container: String, codec: String, duration: Double?, sampleRate: Int, channels: Int, bitRate: Int? = nil,
                durationIsEstimate: Bool = false) {
        self.container = container
        self.codec = codec
        self.duration = duration
        self.durationIsEstimate = durationIsEstimate
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitRate = bitRate
    }
}
