import CChorusShims
import CFFmpeg

/// Decodes audio held in memory: WAV (integer/float PCM) directly, every other supported container
/// (mp3, ogg/opus, ogg/vorbis, flac, mp4/m4a/aac, webm/opus, ADTS aac…) through libavformat reading
/// from memory. Blocking and CPU-bound: call it off the event loops.
public enum AudioDecoder {
    /// Decodes any supported container from memory to mono s16 at `sampleRate` (nil = keep the source rate).
    ///
    /// Throws ``AudioError``: `notAudio` (empty, unknown or no audio stream), `truncated`, `corrupt`,
    /// `tooLarge`, `tooLong` (declared or decoded), `unsupported`, `invalidArgument`.
    public static func decode(_ data: [UInt8], sampleRate: Int?, limits: AudioLimits = AudioLimits()) throws -> PCMAudio {
        try checkInput(data, limits: limits)
        if let sampleRate, !(1000...384_000).contains(sampleRate) {
            throw AudioError.invalidArgument("sample rate must be between 1000 and 384000 Hz, not \(sampleRate)")
        }
        let collector = PCMCollector(rate: sampleRate, maxSeconds: limits.maxDurationSeconds)
        var input = data
        if WAVStreamParser.looksLikeWAV(data) {
            guard let cleaned = try decodeWAV(data, into: collector, limits: limits) else { return try collector.finish() }
            // A WAVE codec other than PCM: libavformat reads it below, behind a clean header.
            input = cleaned
        }
        let decoder = try DemuxDecoder(input: MemoryInput(input), limits: limits)
        try checkDeclaredDuration(decoder.declaredDuration, limits: limits)
        try decoder.decodeAll { frame in try collector.write(frame: frame) }
        return try collector.finish()
    }

    /// Reads what the input is — container and codec names, duration, sample rate, channels — without
    /// decoding it (a duration the container only estimates is measured by reading the packets).
    public static func probe(_ data: [UInt8], limits: AudioLimits = AudioLimits()) throws -> AudioInfo {
        try checkInput(data, limits: limits)
        var input = data
        if WAVStreamParser.looksLikeWAV(data) {
            var parser = WAVStreamParser(headerLimit: limits.probeBytes)
            var foreign: [UInt8]?
            try data.withUnsafeBytes { bytes in
                try parser.push(bytes, start: { format, _ in
                    if !format.isDirectPCM { foreign = format.cleanHeader() }
                }, samples: { block in
                    foreign?.append(contentsOf: block)
                })
            }
            guard let format = parser.format, parser.inData else {
                throw AudioError.truncated("the WAV input ends before its sample data")
            }
            guard let foreign else {
                return AudioInfo(container: "wav", codec: format.codecName,
                                 duration: Double(parser.dataBytes / format.blockAlign) / Double(format.sampleRate),
                                 sampleRate: format.sampleRate, channels: format.channels, bitRate: format.bytesPerSecond * 8)
            }
            input = foreign
        }
        let decoder = try DemuxDecoder(input: MemoryInput(input), limits: limits)
        var info = decoder.info
        if decoder.durationIsEstimate, let measured = try decoder.scanDuration() {
            info.duration = measured
        }
        return info
    }

    static func checkInput(_ data: [UInt8], limits: AudioLimits) throws {
        guard !data.isEmpty else { throw AudioError.notAudio("the input is empty") }
        guard data.count <= limits.maxInputBytes else {
            throw AudioError.tooLarge("the input is \(data.count) bytes, more than the \(limits.maxInputBytes) allowed")
        }
    }

    static func checkDeclaredDuration(_ declared: Double?, limits: AudioLimits) throws {
        if let declared, declared > limits.maxDurationSeconds + 0.1 {
            throw AudioError.tooLong(
                "audio is \(DemuxDecoder.seconds(declared)) long, more than \(DemuxDecoder.seconds(limits.maxDurationSeconds))")
        }
    }

    /// Decodes a WAV file into `collector`, or, for a codec other than PCM, returns its data behind
    /// a clean header for libavformat.
    private static func decodeWAV(_ data: [UInt8], into collector: PCMCollector, limits: AudioLimits) throws -> [UInt8]? {
        var parser = WAVStreamParser(headerLimit: limits.probeBytes)
        var writer = WAVBlockWriter()
        var wavFormat: WAVStreamParser.Format?
        var foreign: [UInt8]?
        try data.withUnsafeBytes { bytes in
            try parser.push(bytes, start: { format, declaredBytes in
                wavFormat = format
                try checkDeclaredSize(declaredBytes, format: format, limits: limits)
                if !format.isDirectPCM {
                    foreign = format.cleanHeader()
                    foreign?.reserveCapacity(data.count + 100)
                }
            }, samples: { block in
                if foreign != nil {
                    foreign?.append(contentsOf: block)
                } else if let wavFormat {
                    try writer.write(block, format: wavFormat, to: collector)
                }
            })
        }
        try parser.finish()
        if parser.dataBytes < (wavFormat?.blockAlign ?? 1) {
            throw AudioError.truncated("the input holds no audio samples")
        }
        return foreign
    }

    /// Refuses a WAV whose `data` chunk states a length over the duration limit.
    static func checkDeclaredSize(_ declaredBytes: Int?, format: WAVStreamParser.Format, limits: AudioLimits) throws {
        guard let declaredBytes, format.bytesPerSecond > 0 else { return }
        try checkDeclaredDuration(Double(declaredBytes) / Double(format.bytesPerSecond), limits: limits)
    }
}
