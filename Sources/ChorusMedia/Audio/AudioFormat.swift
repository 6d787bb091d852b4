/// An output format of the speech route, named as OpenAI names them (`response_format`).
public enum AudioFormat: String, Sendable, CaseIterable {
    /// MPEG-1/2 layer III (libmp3lame), 128 kb/s by default.
    case mp3
    /// Opus in an Ogg container (libopus), 64 kb/s by default.
    case opus
    /// AAC-LC in ADTS framing (FFmpeg's native encoder), 128 kb/s by default.
    case aac
    /// FLAC, lossless.
    case flac
    /// RIFF WAVE, 16-bit PCM.
    case wav
    /// Raw signed 16-bit little-endian PCM, mono, no header (what OpenAI returns for `pcm`).
    case pcm

    /// The `Content-Type` OpenAI answers with for this format.
    public var contentType: String {
        switch self {
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg"
        case .aac: "audio/aac"
        case .flac: "audio/flac"
        case .wav: "audio/wav"
        case .pcm: "audio/pcm"
        }
    }

    /// A file name extension for this format (without the dot).
    public var fileExtension: String { rawValue }

    /// The bit rate used when the caller gives none; nil for lossless formats.
    public var defaultBitrate: Int? {
        switch self {
        case .mp3: 128_000
        case .opus: 64_000
        case .aac: 128_000
        case .flac, .wav, .pcm: nil
        }
    }
}
