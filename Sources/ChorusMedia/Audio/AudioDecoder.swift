import CMediaShims
import CFFmpeg

/// Decodes audio held in memory: WAV (integer/float PCM) directly, every other supported container
/// (mp3, ogg/opus, ogg/vorbis, flac, mp4/m4a/aac, webm/opus, ADTS aac…) through libavformat reading
/// from memory. Blocking and CPU-bound: call it off the event loops.
public enum AudioDecoder {
    /// Decodes any supported container from memory to mono s16 at `sampleRate` (nil = keep the source rate).
    ///
    /// Throws ``AudioError``: `notAudio` (empty, unknown or no audio stream), `truncated`, `corrupt`,
    /// `tooLarge`, `tooLong` (declared or decoded), `unsupported`, `invalidArgument`.
    ///
    /// `cancellation`, when given, is polled between chunks (packets, blocks of samples): once set, the decode
    /// stops within a few milliseconds of work and throws `cancelled`.
    public static func decode(_ data: [UInt8], sampleRate: Int?, limits: AudioLimits = AudioLimits(),
                              cancellation: CancellationFlag? = nil) throws -> PCMAudio {
        try data.withUnsafeBytes { try decode($0, sampleRate: sampleRate, limits: limits, cancellation: cancellation) }
    }

    /// The same, reading the input in place, so a caller holding the bytes in another container (an uploaded
    /// request body in a ByteBuffer) does not copy them into an array first — for a 25 MB upload that copy would be
    /// a second full copy of it. `data` must stay valid and unchanged until the call returns; nothing keeps a
    /// reference to it afterwards.
    public static func decode(_ data: UnsafeRawBufferPointer, sampleRate: Int?, limits: AudioLimits = AudioLimits(),
                              cancellation: CancellationFlag? = nil) throws -> PCMAudio {
        let collector = PCMCollector(rate: sampleRate, maxSeconds: limits.maxDurationSeconds, cancellation: cancellation)
        return try decode(data, sampleRate: sampleRate, limits: limits, cancellation: cancellation, into: collector)
    }

    /// Decodes like `decode`, but hands the mono s16 samples (native byte order) to `output` in chunks as they are
    /// produced instead of collecting them, so a caller writing them elsewhere (a request body) never holds a
    /// second copy. Returns the output rate and the number of samples written.
    public static func decode(_ data: UnsafeRawBufferPointer, sampleRate: Int?, limits: AudioLimits = AudioLimits(),
                              cancellation: CancellationFlag? = nil,
                              output: (UnsafeRawBufferPointer) throws -> Void) throws -> (sampleRate: Int, samples: Int) {
        try withoutActuallyEscaping(output) { output in
            let collector = PCMCollector(rate: sampleRate, maxSeconds: limits.maxDurationSeconds, cancellation: cancellation,
                                         output: output)
            let audio = try decode(data, sampleRate: sampleRate, limits: limits, cancellation: cancellation, into: collector)
            return (audio.sampleRate, collector.count)
        }
    }

    private static func decode(_ data: UnsafeRawBufferPointer, sampleRate: Int?, limits: AudioLimits,
                               cancellation: CancellationFlag?, into collector: PCMCollector) throws -> PCMAudio {
        try checkInput(data.count, limits: limits)
        if let sampleRate, !(1000...384_000).contains(sampleRate) {
            throw AudioError.invalidArgument("sample rate must be between 1000 and 384000 Hz, not \(sampleRate)")
        }
        if WAVStreamParser.looksLikeWAV(data) {
            guard let cleaned = try decodeWAV(data, into: collector, limits: limits) else { return try collector.finish() }
            // A WAVE codec other than PCM: libavformat reads it below, behind a clean header.
            return try cleaned.withUnsafeBytes { try demux($0, into: collector, limits: limits, cancellation: cancellation) }
        }
        return try demux(data, into: collector, limits: limits, cancellation: cancellation)
    }

    private static func demux(_ data: UnsafeRawBufferPointer, into collector: PCMCollector, limits: AudioLimits,
                              cancellation: CancellationFlag?) throws -> PCMAudio {
        let decoder = try DemuxDecoder(input: MemoryInput(data), limits: limits)
        decoder.cancellation = cancellation
        try checkDeclaredDuration(decoder.declaredDuration, limits: limits)
        try decoder.decodeAll { frame in try collector.write(frame: frame) }
        return try collector.finish()
    }

    /// Reads what the input is — container and codec names, duration, sample rate, channels — without
    /// decoding it. A duration the container only estimates from the bit rate (an MP3 without a Xing header…)
    /// is measured by reading every packet, unless `measureEstimatedDuration` is false: then the estimate is
    /// returned with `durationIsEstimate` set (the scan takes ~50 ms for 25 MB of MP3).
    /// `cancellation` stops that scan early (it throws `cancelled`).
    public static func probe(_ data: [UInt8], limits: AudioLimits = AudioLimits(), measureEstimatedDuration: Bool = true,
                             cancellation: CancellationFlag? = nil) throws -> AudioInfo {
        try data.withUnsafeBytes {
            try probe($0, limits: limits, measureEstimatedDuration: measureEstimatedDuration, cancellation: cancellation)
        }
    }

    /// The same, reading the input in place; `data` must stay valid and unchanged until the call returns.
    public static func probe(_ data: UnsafeRawBufferPointer, limits: AudioLimits = AudioLimits(),
                             measureEstimatedDuration: Bool = true, cancellation: CancellationFlag? = nil) throws -> AudioInfo {
        try checkInput(data.count, limits: limits)
        if WAVStreamParser.looksLikeWAV(data) {
            var parser = WAVStreamParser(headerLimit: limits.probeBytes)
            var foreign: [UInt8]?
            try parser.push(data, start: { format, _ in
                if !format.isDirectPCM { foreign = format.cleanHeader() }
            }, samples: { block in
                foreign?.append(contentsOf: block)
            })
            guard let format = parser.format, parser.inData else {
                throw AudioError.truncated("the WAV input ends before its sample data")
            }
            guard let foreign else {
                return AudioInfo(container: "wav", codec: format.codecName,
                                 duration: Double(parser.dataBytes / format.blockAlign) / Double(format.sampleRate),
                                 sampleRate: format.sampleRate, channels: format.channels, bitRate: format.bytesPerSecond * 8)
            }
            return try foreign.withUnsafeBytes {
                try probeDemuxed($0, limits: limits, measure: measureEstimatedDuration, cancellation: cancellation)
            }
        }
        return try probeDemuxed(data, limits: limits, measure: measureEstimatedDuration, cancellation: cancellation)
    }

    private static func probeDemuxed(_ data: UnsafeRawBufferPointer, limits: AudioLimits, measure: Bool,
                                     cancellation: CancellationFlag?) throws -> AudioInfo {
        let decoder = try DemuxDecoder(input: MemoryInput(data), limits: limits)
        decoder.cancellation = cancellation
        var info = decoder.info
        if decoder.durationIsEstimate {
            if !measure {
                info.durationIsEstimate = true
            } else if let measured = try decoder.scanDuration() {
                info.duration = measured
            }
        }
        return info
    }

    static func checkInput(_ count: Int, limits: AudioLimits) throws {
        guard count > 0 else { throw AudioError.notAudio("the input is empty") }
        guard count <= limits.maxInputBytes else {
            throw AudioError.tooLarge("the input is \(count) bytes, more than the \(limits.maxInputBytes) allowed")
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
    private static func decodeWAV(_ data: UnsafeRawBufferPointer, into collector: PCMCollector, limits: AudioLimits) throws -> [UInt8]? {
        var parser = WAVStreamParser(headerLimit: limits.probeBytes)
        var writer = WAVBlockWriter()
        var wavFormat: WAVStreamParser.Format?
        var foreign: [UInt8]?
        try parser.push(data, start: { format, declaredBytes in
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
