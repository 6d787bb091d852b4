import CMediaShims
import CFFmpeg

/// Demuxes one audio stream with libavformat from an ``AVIOInput`` and decodes it with libavcodec.
///
/// Only audio containers and audio decoders are allowed, a demuxer can never open another file or
/// URL, and probing is bounded by ``AudioLimits/probeBytes``.
final class DemuxDecoder {
    /// Demuxers allowed to open input (matched against FFmpeg's comma-separated demuxer names).
    static let containers = [
        "wav", "w64", "mp3", "ogg", "flac", "mov", "matroska", "aac", "aiff", "caf", "au",
        "amr", "ac3", "eac3", "wv", "ape", "tta", "voc", "loas",
    ]
    /// Decoders allowed to run, inside the probe and afterwards.
    static let codecs = [
        "mp3", "mp3float", "mp2", "mp2float", "aac", "aac_fixed", "aac_latm", "opus", "libopus",
        "vorbis", "libvorbis", "flac", "alac", "ac3", "ac3_fixed", "eac3", "amrnb", "amrwb",
        "wavpack", "ape", "tta", "gsm", "gsm_ms", "pcm_alaw", "pcm_mulaw", "adpcm_ima_wav", "adpcm_ms",
        "pcm_u8", "pcm_s8", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_s32be",
        "pcm_f32le", "pcm_f32be", "pcm_f64le", "pcm_f64be", "pcm_s16le_planar", "pcm_s24le_planar",
    ]
    /// Lowest probe score accepted: below it FFmpeg itself warns "misdetection possible", and random
    /// bytes score there as a few MPEG audio frames.
    static let minimumProbeScore: Int32 = 25

    private let input: AVIOInput
    private var ioContext: UnsafeMutablePointer<AVIOContext>?
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var streamIndex: Int32 = -1
    private let limits: AudioLimits
    /// Polled before every packet read by ``decodeAll(_:)`` and ``scanDuration()``.
    var cancellation: CancellationFlag?

    /// What the container and decoder say about the stream.
    private(set) var info = AudioInfo(container: "", codec: "", duration: nil, sampleRate: 0, channels: 0)
    /// The duration the container states (not one guessed from the bit rate), in seconds.
    private(set) var declaredDuration: Double?

    /// Opens `input`: probes the container, reads the headers, picks the best audio stream, opens its decoder.
    /// `abortFlag`, when given, aborts blocking reads once it holds a non-zero value.
    init(input: AVIOInput, limits: AudioLimits, abortFlag: UnsafePointer<Int32>? = nil) throws {
        self.input = input
        self.limits = limits
        let ioBufferSize: Int32 = 32 * 1024
        guard let ioBuffer = av_malloc(Int(ioBufferSize))?.assumingMemoryBound(to: UInt8.self) else {
            throw AudioError.corrupt("out of memory", code: FFmpegCode.noMemory)
        }
        let opaque = Unmanaged.passUnretained(input).toOpaque()
        guard let io = chorus_avio_alloc_context(ioBuffer, ioBufferSize, 0, opaque, avioReadCallback, nil, avioSeekCallback) else {
            av_free(ioBuffer)
            throw AudioError.corrupt("out of memory", code: FFmpegCode.noMemory)
        }
        // A streamed input still takes backward seeks inside what it kept, but demuxers must not
        // make optional seeks (to the end for a duration, to an index…) that would wait for input.
        io.pointee.seekable = input.isSeekable ? AVIO_SEEKABLE_NORMAL : 0
        ioContext = io

        // Every stored property has a value from here on: a failure below leaves deinit to free what was made.
        guard let context = avformat_alloc_context() else {
            throw AudioError.corrupt("out of memory", code: FFmpegCode.noMemory)
        }
        formatContext = context
        context.pointee.pb = io
        context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        let probeBytes = Int32(clamping: max(limits.probeBytes, 4096))
        context.pointee.probesize = Int64(probeBytes)
        context.pointee.format_probesize = probeBytes
        context.pointee.max_streams = 64
        chorus_avformat_harden(context, abortFlag)

        // Probe.
        var format: UnsafePointer<AVInputFormat>?
        let score = av_probe_input_buffer2(io, &format, "", context, 0, UInt32(probeBytes))
        if score < 0 || format == nil {
            throw Self.openError(score, input: input, io: io, what: "not a recognised audio container", notRecognised: true)
        }
        guard let format else { throw AudioError.notAudio("not a recognised audio container") }
        let formatName = String(cString: format.pointee.name)
        let names = formatName.split(separator: ",").map(String.init)
        guard names.contains(where: Self.containers.contains) else {
            throw AudioError.notAudio("input is not an audio container (looks like \(formatName))")
        }
        // An ID3v2 tag larger than the probe window (cover art) leaves MP3 with a low score.
        let id3Tagged = names.contains("mp3") && input.prefix(3) == Array("ID3".utf8)
        guard score >= Self.minimumProbeScore || id3Tagged else {
            throw AudioError.notAudio("not a recognised audio container (weak match for \(formatName))")
        }

        // Headers.
        var options: OpaquePointer?
        av_dict_set(&options, "codec_whitelist", Self.codecs.joined(separator: ","), 0)
        var opened: UnsafeMutablePointer<AVFormatContext>? = context
        let openResult = avformat_open_input(&opened, nil, format, &options)
        av_dict_free(&options)
        if openResult < 0 {
            formatContext = nil // avformat_open_input freed it
            throw Self.openError(openResult, input: input, io: io, what: "cannot read the \(names[0]) headers")
        }
        // avformat_find_stream_info reads ahead until it has seen timestamps, for some inputs (a-law
        // WAV…) to the end. A stream waits for that input, so when the headers already give the
        // audio parameters it is skipped; in memory it also works out the duration, so it runs.
        if input.isSeekable || !Self.headersDescribeAudio(context) {
            let streamInfoResult = avformat_find_stream_info(context, nil)
            if streamInfoResult < 0 {
                throw Self.openError(streamInfoResult, input: input, io: io, what: "cannot read the \(names[0]) stream parameters")
            }
        }

        // Stream and decoder.
        var decoder: UnsafePointer<AVCodec>?
        let best = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0)
        guard best >= 0 else {
            if best == FFmpegCode.decoderNotFound {
                throw AudioError.unsupported("no decoder for the audio stream", code: best)
            }
            throw AudioError.notAudio("the \(names[0]) input holds no audio stream", code: best)
        }
        streamIndex = best
        guard let stream = context.pointee.streams[Int(best)], let parameters = stream.pointee.codecpar else {
            throw AudioError.notAudio("the \(names[0]) input holds no audio stream")
        }
        for index in 0..<Int(context.pointee.nb_streams) where index != Int(best) {
            context.pointee.streams[index]?.pointee.discard = AVDISCARD_ALL
        }
        let codecName = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let decoder, Self.codecs.contains(String(cString: decoder.pointee.name)) else {
            throw AudioError.unsupported("audio codec \(codecName) is not supported")
        }
        guard let codec = avcodec_alloc_context3(decoder) else {
            throw AudioError.corrupt("out of memory", code: FFmpegCode.noMemory)
        }
        codecContext = codec
        try throwIfFail(avcodec_parameters_to_context(codec, parameters), .corrupt, "invalid \(codecName) parameters")
        codec.pointee.pkt_timebase = stream.pointee.time_base
        codec.pointee.thread_count = 1
        try throwIfFail(avcodec_open2(codec, decoder, nil), .corrupt, "cannot open the \(codecName) decoder")
        guard codec.pointee.sample_rate > 0, codec.pointee.ch_layout.nb_channels > 0 else {
            throw AudioError.corrupt("the \(codecName) stream has no sample rate or channel count")
        }
        guard let packet = av_packet_alloc(), let frame = av_frame_alloc() else {
            throw AudioError.corrupt("out of memory", code: FFmpegCode.noMemory)
        }
        self.packet = packet
        self.frame = frame

        // Duration: the stream's own when stated, otherwise the container's unless it is a bit-rate guess.
        var duration: Double?
        let timeBase = stream.pointee.time_base
        if stream.pointee.duration != FFmpegCode.noTimestamp, stream.pointee.duration > 0, timeBase.den > 0 {
            duration = Double(stream.pointee.duration) * Double(timeBase.num) / Double(timeBase.den)
        } else if context.pointee.duration != FFmpegCode.noTimestamp, context.pointee.duration > 0 {
            duration = Double(context.pointee.duration) / Double(AV_TIME_BASE)
        }
        if context.pointee.duration_estimation_method != AVFMT_DURATION_FROM_BITRATE {
            declaredDuration = duration
        }
        var container = names[0]
        if container == "mov" { container = "mp4" }
        let bitRate = parameters.pointee.bit_rate > 0 ? Int(parameters.pointee.bit_rate)
            : (context.pointee.bit_rate > 0 ? Int(context.pointee.bit_rate) : nil)
        info = AudioInfo(container: container, codec: codecName, duration: duration,
                         sampleRate: Int(codec.pointee.sample_rate), channels: Int(codec.pointee.ch_layout.nb_channels),
                         bitRate: bitRate)
    }

    deinit {
        if let frame { var doomed: UnsafeMutablePointer<AVFrame>? = frame; av_frame_free(&doomed) }
        if let packet { var doomed: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&doomed) }
        if codecContext != nil { avcodec_free_context(&codecContext) }
        if formatContext != nil { avformat_close_input(&formatContext) }
        if ioContext != nil { chorus_avio_context_free(&ioContext) }
    }

    /// Whether the container headers name an audio codec with its sample rate and channel count.
    private static func headersDescribeAudio(_ context: UnsafeMutablePointer<AVFormatContext>) -> Bool {
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let parameters = context.pointee.streams[index]?.pointee.codecpar,
                  parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO else { continue }
            if parameters.pointee.codec_id != AV_CODEC_ID_NONE, parameters.pointee.sample_rate > 0,
               parameters.pointee.ch_layout.nb_channels > 0 {
                return true
            }
        }
        return false
    }

    /// Whether the duration is only a bit-rate estimate (or unknown), so a packet scan is worth it.
    var durationIsEstimate: Bool { declaredDuration == nil }

    /// Summary of a full decode.
    struct Summary {
        /// Seconds of audio the decoder produced, at the source rate.
        var decodedSeconds: Double = 0
        var frames = 0
        var failedPackets = 0
    }

    /// Decodes the whole stream, handing each frame to `body`. Fails with `tooLong` as soon as more
    /// than `limits.maxDurationSeconds` were decoded, with `truncated` when the input ends well
    /// before its stated duration, and with `corrupt` when nothing could be decoded.
    @discardableResult
    func decodeAll(_ body: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws -> Summary {
        guard let formatContext, let codecContext, let packet, let frame else {
            throw AudioError.corrupt("decoder is not open")
        }
        var summary = Summary()
        var goodPackets = 0

        func drainFrames() throws {
            while true {
                let received = avcodec_receive_frame(codecContext, frame)
                if received == FFmpegCode.again || received == FFmpegCode.eof { return }
                if received < 0 {
                    summary.failedPackets += 1
                    return
                }
                defer { av_frame_unref(frame) }
                guard frame.pointee.nb_samples > 0, frame.pointee.sample_rate > 0 else { continue }
                summary.frames += 1
                summary.decodedSeconds += Double(frame.pointee.nb_samples) / Double(frame.pointee.sample_rate)
                if summary.decodedSeconds > limits.maxDurationSeconds + 0.1 {
                    throw AudioError.tooLong("audio is longer than \(Self.seconds(limits.maxDurationSeconds))")
                }
                try body(frame)
            }
        }

        while true {
            try cancellation?.check("decoding")
            let read = av_read_frame(formatContext, packet)
            if read == FFmpegCode.eof { break }
            if read < 0 {
                if read == FFmpegCode.exit { throw AudioError.cancelled("decoding was cancelled") }
                // Demuxers report a cut-off last packet in several ways; what was decoded still counts.
                if let ioContext, Self.ranOut(input: input, io: ioContext) { break }
                throw AudioError.ffmpeg(.corrupt, "cannot read the audio data", read)
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            var sent = avcodec_send_packet(codecContext, packet)
            if sent == FFmpegCode.again {
                // The decoder wants its frames taken first; then it takes the packet.
                try drainFrames()
                sent = avcodec_send_packet(codecContext, packet)
            }
            if sent < 0 {
                summary.failedPackets += 1
                if summary.failedPackets > 100 && summary.failedPackets > goodPackets {
                    throw AudioError.ffmpeg(.corrupt, "the audio data cannot be decoded", sent)
                }
                continue
            }
            goodPackets += 1
            try drainFrames()
        }
        avcodec_send_packet(codecContext, nil)
        try drainFrames()

        if summary.frames == 0 {
            if summary.failedPackets > 0 { throw AudioError.corrupt("the audio data cannot be decoded") }
            throw AudioError.truncated("the input holds no audio samples")
        }
        if let declared = declaredDuration,
           summary.decodedSeconds + max(0.5, declared * 0.05) < declared {
            throw AudioError.truncated(
                "the input ends after \(Self.seconds(summary.decodedSeconds)) of a stated \(Self.seconds(declared))")
        }
        return summary
    }

    /// Reads (without decoding) every packet of the stream to measure its duration exactly.
    func scanDuration() throws -> Double? {
        guard let formatContext, let packet, let stream = formatContext.pointee.streams[Int(streamIndex)] else {
            return nil
        }
        let timeBase = stream.pointee.time_base
        guard timeBase.num > 0, timeBase.den > 0 else { return nil }
        var start: Int64?
        var end: Int64 = 0
        var summed: Int64 = 0
        while true {
            try cancellation?.check("measuring the duration")
            let read = av_read_frame(formatContext, packet)
            if read < 0 {
                if read == FFmpegCode.exit { throw AudioError.cancelled("probing was cancelled") }
                break
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            summed += max(packet.pointee.duration, 0)
            if packet.pointee.pts != FFmpegCode.noTimestamp {
                start = min(start ?? packet.pointee.pts, packet.pointee.pts)
                end = max(end, packet.pointee.pts + max(packet.pointee.duration, 0))
            }
        }
        let ticks = start.map { end - $0 } ?? summed
        guard ticks > 0 else { return nil }
        return Double(ticks) * Double(timeBase.num) / Double(timeBase.den)
    }

    private static func openError(_ code: Int32, input: AVIOInput, io: UnsafeMutablePointer<AVIOContext>,
                                  what: String, notRecognised: Bool = false) -> AudioError {
        if code == FFmpegCode.exit { return .cancelled("decoding was cancelled") }
        if notRecognised { return .ffmpeg(.notAudio, what, code) }
        if ranOut(input: input, io: io) { return .ffmpeg(.truncated, what, code) }
        return .ffmpeg(.corrupt, what, code)
    }

    /// Whether the demuxer got to the end of the input (so a failure means the input is cut short).
    /// Reads that end inside AVIO's buffer never reach the input, hence the position check.
    private static func ranOut(input: AVIOInput, io: UnsafeMutablePointer<AVIOContext>) -> Bool {
        if input.reachedEnd || io.pointee.eof_reached != 0 { return true }
        if let size = input.size, avio_seek(io, 0, SEEK_CUR) >= Int64(size) { return true }
        return false
    }

    static func seconds(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) s"
    }
}
