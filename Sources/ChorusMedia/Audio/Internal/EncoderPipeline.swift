import CMediaShims
import CFFmpeg

/// Resamples whatever it is given to mono at the output rate and encodes it to one ``AudioFormat``:
/// through libavcodec/libavformat for mp3, opus, aac and flac, directly for wav and pcm.
///
/// In streaming mode output is taken as it is produced (a WAV header then carries unknown
/// sizes); otherwise the whole file is returned by ``finish()`` with complete headers.
final class EncoderPipeline: SampleSink {
    let format: AudioFormat
    /// The rate of the encoded audio (the codec's nearest supported rate).
    let outputRate: Int
    let streaming: Bool
    /// Seconds of input audio written so far.
    private(set) var inputSeconds: Double = 0
    /// When set, writing more than this many seconds of audio fails with `tooLong` (checked as
    /// the audio is encoded, so a single huge write cannot run past it).
    var maxSeconds: Double?
    private var encodedSamples = 0

    private let codec: CodecMuxer?
    private let outputSpec: SampleSpec
    private var resampler: Resampler?
    private var raw: [UInt8] = []
    private var rawDataBytes = 0
    private var finished = false

    init(format: AudioFormat, sampleRate: Int, bitrate: Int?, streaming: Bool) throws {
        try Self.validate(sampleRate: sampleRate, bitrate: bitrate)
        self.format = format
        self.streaming = streaming
        switch format {
        case .wav, .pcm:
            codec = nil
            outputRate = sampleRate
            outputSpec = .mono16(rate: sampleRate)
            if format == .wav {
                raw = streaming ? WAVHeader.make(sampleRate: sampleRate, dataBytes: nil)
                                : [UInt8](repeating: 0, count: WAVHeader.size)
            }
        case .mp3, .opus, .aac, .flac:
            let codec = try CodecMuxer(format: format, sampleRate: sampleRate, bitrate: bitrate, streaming: streaming)
            self.codec = codec
            outputRate = codec.sampleRate
            outputSpec = SampleSpec(format: codec.sampleFormat, channels: 1, rate: codec.sampleRate, layoutMask: nil)
        }
    }

    static func validate(sampleRate: Int, bitrate: Int?) throws {
        guard (8000...192_000).contains(sampleRate) else {
            throw AudioError.invalidArgument("sample rate must be between 8000 and 192000 Hz, not \(sampleRate)")
        }
        if let bitrate, !(6000...1_000_000).contains(bitrate) {
            throw AudioError.invalidArgument("bit rate must be between 6000 and 1000000 b/s, not \(bitrate)")
        }
    }

    func write(_ planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int, spec: SampleSpec) throws {
        guard !finished else { throw AudioError.encoderFailed("the \(format) encoder is finished") }
        guard count > 0 else { return }
        if resampler?.input != spec {
            try flushResampler()
            resampler = try Resampler(input: spec, output: outputSpec)
        }
        inputSeconds += Double(count) / Double(spec.rate)
        try resampler?.process(planes, count: count) { pointer, written in try encode(pointer, written) }
    }

    /// Streams only: everything encoded so far, ready to send.
    func takeOutput() throws -> [UInt8] {
        if let codec {
            try codec.flushOutput()
            return codec.takeOutput()
        }
        defer { raw.removeAll(keepingCapacity: true) }
        return raw
    }

    /// Flushes the resampler and the encoder, completes the container, and returns the remaining
    /// bytes (streams) or the whole file.
    func finish() throws -> [UInt8] {
        guard !finished else { return [] }
        try flushResampler()
        finished = true
        if let codec {
            try codec.finish()
            return codec.takeOutput()
        }
        if format == .wav, !streaming {
            let header = WAVHeader.make(sampleRate: outputRate, dataBytes: rawDataBytes)
            raw.replaceSubrange(0..<WAVHeader.size, with: header)
        }
        defer { raw = [] }
        return raw
    }

    private func flushResampler() throws {
        guard let resampler else { return }
        try resampler.flush { pointer, written in try encode(pointer, written) }
        self.resampler = nil
    }

    private func encode(_ samples: UnsafePointer<UInt8>, _ count: Int) throws {
        encodedSamples += count
        if let maxSeconds, Double(encodedSamples) > (maxSeconds + 0.1) * Double(outputRate) {
            throw AudioError.tooLong("audio is longer than \(DemuxDecoder.seconds(maxSeconds))")
        }
        if let codec {
            try codec.append(samples, count: count)
            return
        }
        // wav and pcm: signed 16-bit little-endian.
        let bytes = count * 2
        #if _endian(big)
        let swapped = UnsafeRawPointer(samples)
        for index in 0..<count {
            let value = swapped.loadUnaligned(fromByteOffset: index * 2, as: Int16.self).littleEndian
            withUnsafeBytes(of: value) { raw.append(contentsOf: $0) }
        }
        #else
        raw.append(contentsOf: UnsafeBufferPointer(start: samples, count: bytes))
        #endif
        rawDataBytes += bytes
    }
}
