import CMediaShims
import CFFmpeg

/// An incremental RIFF/WAVE reader: fed bytes as they arrive, it reports the format when the
/// `data` chunk starts and then hands out the sample data — whole sample blocks of integer and
/// float PCM, without copying when a piece holds whole blocks.
///
/// Other WAVE codecs (a-law, ADPCM…) are for libavformat: their data is handed out as it comes,
/// and ``Format/cleanHeader()`` gives a minimal header (fmt + data, nothing else) to put in front,
/// so libavformat never sees the file's other chunks (a hostile LIST chunk can make it allocate
/// up to 2 GB). A plain state machine; it owns no C resources.
struct WAVStreamParser {
    struct Format: Equatable {
        /// The codec tag, after resolving WAVE_FORMAT_EXTENSIBLE: 1 integer PCM, 3 IEEE float…
        var codecTag: Int
        var channels: Int
        var sampleRate: Int
        var bitsPerSample: Int
        var channelMask: UInt64?
        /// nAvgBytesPerSec as the header states it.
        var headerByteRate: Int
        /// The `fmt ` chunk body as found (for libavformat).
        var formatChunk: [UInt8]

        /// Integer PCM of 8/16/24/32 bits or float of 32/64 bits, read here; anything else goes to libavformat.
        var isDirectPCM: Bool {
            switch (codecTag, bitsPerSample) {
            case (1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64): true
            default: false
            }
        }
        var bytesPerSample: Int { bitsPerSample / 8 }
        /// Bytes per sample frame; 1 for codecs left to libavformat (their data passes through as it comes).
        var blockAlign: Int { isDirectPCM ? channels * bytesPerSample : 1 }
        /// Bytes per second of the data (0 when a foreign codec's header does not say).
        var bytesPerSecond: Int { isDirectPCM ? blockAlign * sampleRate : max(headerByteRate, 0) }

        /// How the samples look to libswresample; 24-bit samples are widened to 32 bits first.
        var sampleSpec: SampleSpec {
            let format: AVSampleFormat
            switch (codecTag, bitsPerSample) {
            case (1, 8): format = AV_SAMPLE_FMT_U8
            case (1, 16): format = AV_SAMPLE_FMT_S16
            case (1, 24), (1, 32): format = AV_SAMPLE_FMT_S32
            case (3, 32): format = AV_SAMPLE_FMT_FLT
            default: format = AV_SAMPLE_FMT_DBL
            }
            return SampleSpec(format: format, channels: channels, rate: sampleRate, layoutMask: channelMask)
        }

        /// The codec name FFmpeg would give this stream.
        var codecName: String {
            switch (codecTag, bitsPerSample) {
            case (1, 8): "pcm_u8"
            case (1, let bits): "pcm_s\(bits)le"
            case (3, let bits): "pcm_f\(bits)le"
            default: "wav codec 0x\(String(codecTag, radix: 16))"
            }
        }

        /// A minimal streamed-WAV header (RIFF, fmt, data with unknown sizes) for this format.
        func cleanHeader() -> [UInt8] {
            var header = Array("RIFF".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("WAVEfmt ".utf8)
            let size = UInt32(formatChunk.count)
            withUnsafeBytes(of: size.littleEndian) { header.append(contentsOf: $0) }
            header += formatChunk
            if formatChunk.count % 2 == 1 { header.append(0) }
            header += Array("data".utf8) + [0xFF, 0xFF, 0xFF, 0xFF]
            return header
        }
    }

    /// Sizes at or above this in a `data` chunk header mean "unknown" (streamed WAV: OpenAI and
    /// FFmpeg write 0xFFFFFFFF, others 0x7FFFFFFF or 0).
    static let unknownSizeThreshold: UInt32 = 0x7FFF_0000

    private enum State: Equatable {
        case riffHeader
        case chunkHeader
        case formatBody(size: Int)
        case skipping(remaining: Int)
        case data(remaining: Int?)
        case afterData
    }

    private var state = State.riffHeader
    private var pending: [UInt8] = []
    private let headerLimit: Int

    private(set) var format: Format?
    /// The `data` chunk size the header states, nil when unknown (streamed WAV).
    private(set) var declaredDataBytes: Int?
    /// Bytes of sample data seen so far.
    private(set) var dataBytes = 0
    /// Bytes read before the sample data started.
    private(set) var headerBytes = 0

    /// - Parameter headerLimit: most bytes of chunks allowed before the `data` chunk.
    init(headerLimit: Int) {
        self.headerLimit = max(headerLimit, 64)
    }

    /// True when the first bytes of `prefix` (at least 12) say RIFF…WAVE.
    static func looksLikeWAV<C: Collection>(_ prefix: C) -> Bool where C.Element == UInt8 {
        let head = Array(prefix.prefix(12))
        return head.count == 12 && head[0..<4].elementsEqual("RIFF".utf8) && head[8..<12].elementsEqual("WAVE".utf8)
    }

    /// Consumes `input`. Calls `start` once when the sample data begins (with the format and the
    /// declared data size) and `samples` with whole sample blocks.
    mutating func push(_ input: UnsafeRawBufferPointer,
                       start: (Format, Int?) throws -> Void,
                       samples: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count {
            switch state {
            case .riffHeader:
                offset += collect(12, from: input, at: offset)
                guard pending.count == 12 else { return }
                guard Self.looksLikeWAV(pending) else { throw AudioError.notAudio("not a RIFF/WAVE file") }
                pending.removeAll(keepingCapacity: true)
                headerBytes += 12
                state = .chunkHeader

            case .chunkHeader:
                offset += collect(8, from: input, at: offset)
                guard pending.count == 8 else { return }
                // Printable ASCII only: the id ends up in error messages.
                let id = String(decoding: pending[0..<4].map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
                let size = Self.uint32(pending, at: 4)
                pending.removeAll(keepingCapacity: true)
                headerBytes += 8
                try checkHeaderLimit()
                switch id {
                case "fmt ":
                    guard size >= 16, size <= 1024 else { throw AudioError.corrupt("WAV fmt chunk has an invalid size (\(size))") }
                    state = .formatBody(size: Int(size))
                case "data":
                    guard let format else { throw AudioError.corrupt("WAV data chunk comes before the fmt chunk") }
                    declaredDataBytes = (size == 0 || size >= Self.unknownSizeThreshold) ? nil : Int(size)
                    try start(format, declaredDataBytes)
                    state = .data(remaining: declaredDataBytes)
                default:
                    let skip = Int(size) + Int(size & 1)
                    // Fail now rather than wait for bytes that could never fit in the header limit.
                    if headerBytes + skip > headerLimit {
                        throw AudioError.notAudio("a \(skip)-byte '\(id)' chunk comes before the WAV sample data")
                    }
                    state = .skipping(remaining: skip)
                }

            case .formatBody(let size):
                let padded = size + (size & 1)
                offset += collect(padded, from: input, at: offset)
                guard pending.count == padded else { return }
                headerBytes += padded
                try checkHeaderLimit()
                format = try Self.parseFormat(Array(pending.prefix(size)))
                pending.removeAll(keepingCapacity: true)
                state = .chunkHeader

            case .skipping(let remaining):
                let take = min(remaining, input.count - offset)
                offset += take
                headerBytes += take
                try checkHeaderLimit()
                state = remaining == take ? .chunkHeader : .skipping(remaining: remaining - take)

            case .data(let remaining):
                guard let format else { throw AudioError.corrupt("WAV data without format") }
                let available = input.count - offset
                let take = remaining.map { min($0, available) } ?? available
                let block = format.blockAlign
                var cursor = offset
                let end = offset + take
                if !pending.isEmpty {
                    let fill = min(block - pending.count, end - cursor)
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[cursor..<(cursor + fill)]))
                    cursor += fill
                    if pending.count == block {
                        try pending.withUnsafeBytes { try samples($0) }
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                let whole = (end - cursor) / block * block
                if whole > 0 {
                    try samples(UnsafeRawBufferPointer(rebasing: input[cursor..<(cursor + whole)]))
                    cursor += whole
                }
                if cursor < end { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[cursor..<end])) }
                dataBytes += take
                offset = end
                if let remaining {
                    state = remaining == take ? .afterData : .data(remaining: remaining - take)
                }

            case .afterData:
                return
            }
        }
    }

    /// Checks the input is complete: the sample data began and reached its declared size (give or
    /// take one sample block).
    func finish() throws {
        switch state {
        case .riffHeader, .chunkHeader, .formatBody, .skipping:
            throw AudioError.truncated("the WAV input ends before its sample data")
        case .data(let remaining):
            if let remaining, remaining > (format?.blockAlign ?? 0) {
                throw AudioError.truncated("the WAV input ends after \(dataBytes) of a stated \(declaredDataBytes ?? 0) data bytes")
            }
        case .afterData:
            break
        }
    }

    /// Whether the sample data has started.
    var inData: Bool {
        switch state {
        case .data, .afterData: true
        default: false
        }
    }

    private mutating func collect(_ wanted: Int, from input: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let take = min(wanted - pending.count, input.count - offset)
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + take)]))
        return take
    }

    private func checkHeaderLimit() throws {
        if headerBytes > headerLimit {
            throw AudioError.notAudio("no WAV sample data within the first \(headerLimit) bytes")
        }
    }

    private static func uint16(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    private static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    private static func parseFormat(_ body: [UInt8]) throws -> Format {
        var tag = uint16(body, at: 0)
        let channels = uint16(body, at: 2)
        let rate = Int(uint32(body, at: 4))
        let byteRate = Int(uint32(body, at: 8))
        let bits = uint16(body, at: 14)
        var mask: UInt64?
        if tag == 0xFFFE {
            guard body.count >= 40 else { throw AudioError.corrupt("WAV extensible fmt chunk is too short") }
            let channelMask = UInt64(uint32(body, at: 20))
            if channelMask != 0, channelMask.nonzeroBitCount == channels { mask = channelMask }
            tag = uint16(body, at: 24)
        }
        guard channels >= 1, channels <= 64 else { throw AudioError.corrupt("WAV declares \(channels) channels") }
        guard rate >= 1, rate <= 1_536_000 else { throw AudioError.corrupt("WAV declares a sample rate of \(rate) Hz") }
        guard rate >= 1000 else { throw AudioError.unsupported("a sample rate of \(rate) Hz is not supported") }
        return Format(codecTag: tag, channels: channels, sampleRate: rate, bitsPerSample: bits, channelMask: mask,
                      headerByteRate: byteRate, formatChunk: body)
    }
}
