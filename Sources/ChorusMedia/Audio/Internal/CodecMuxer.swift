import CMediaShims
import CFFmpeg

/// An audio encoder (libavcodec) feeding a muxer (libavformat) that writes into an ``OutputBuffer``.
/// Takes mono samples already in the encoder's sample format and rate, cuts them into frames.
final class CodecMuxer {
    let format: AudioFormat
    /// The rate the encoder runs at (the nearest one the codec supports).
    let sampleRate: Int
    /// The sample format the encoder wants; mono, so planar and packed look the same in memory.
    let sampleFormat: AVSampleFormat
    private let bytesPerSample: Int
    private var frameCapacity = 0
    private let sendsShortLastFrame: Bool
    private let streaming: Bool
    private let output: OutputBuffer

    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var ioContext: UnsafeMutablePointer<AVIOContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var filled = 0
    private var nextTimestamp: Int64 = 0
    private var packetsSinceFlush = 0
    private var finished = false

    private static let preferredSampleFormats = [
        AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S16P, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_S32P,
    ]

    /// - Parameters:
    ///   - streaming: append-only output whose bytes are taken as they come; otherwise a seekable
    ///     buffer so the muxer can complete its header (durations, sample counts) at the end.
    init(format: AudioFormat, sampleRate requestedRate: Int, bitrate: Int?, streaming: Bool) throws {
        self.format = format
        self.streaming = streaming
        self.output = OutputBuffer(seekable: !streaming)

        let encoderNames: [String]
        let muxerName: String
        var muxerOptions: [(String, String)] = []
        switch format {
        case .mp3:
            encoderNames = ["libmp3lame"]
            muxerName = "mp3"
            muxerOptions = [("id3v2_version", "0"), ("write_xing", streaming ? "0" : "1")]
        case .opus:
            encoderNames = ["libopus", "opus"]
            muxerName = "ogg"
        case .aac:
            encoderNames = ["aac"]
            muxerName = "adts"
        case .flac:
            encoderNames = ["flac"]
            muxerName = "flac"
        case .wav, .pcm:
            throw AudioError.encoderFailed("\(format) is written without a codec")
        }
        guard let encoder = encoderNames.lazy.compactMap({ avcodec_find_encoder_by_name($0) }).first else {
            throw AudioError.unsupported("no \(format) encoder in this FFmpeg build")
        }

        // Sample rate: the requested one when the codec takes it, else the closest higher (or highest) one.
        var rate = requestedRate
        if let supported = encoder.pointee.supported_samplerates {
            var rates: [Int] = []
            var index = 0
            while supported[index] != 0 { rates.append(Int(supported[index])); index += 1 }
            if !rates.isEmpty, !rates.contains(requestedRate) {
                rate = rates.filter { $0 >= requestedRate }.min() ?? rates.max() ?? requestedRate
            }
        }
        self.sampleRate = rate

        var chosenFormat = AV_SAMPLE_FMT_NONE
        if let formats = encoder.pointee.sample_fmts {
            var offered: [AVSampleFormat] = []
            var index = 0
            while formats[index] != AV_SAMPLE_FMT_NONE { offered.append(formats[index]); index += 1 }
            chosenFormat = Self.preferredSampleFormats.first(where: offered.contains) ?? offered.first ?? AV_SAMPLE_FMT_NONE
        } else {
            chosenFormat = AV_SAMPLE_FMT_S16
        }
        guard chosenFormat != AV_SAMPLE_FMT_NONE else {
            throw AudioError.unsupported("the \(format) encoder takes no usable sample format")
        }
        self.sampleFormat = chosenFormat
        self.bytesPerSample = Int(av_get_bytes_per_sample(chosenFormat))
        let capabilities = encoder.pointee.capabilities
        // Every stored property has a value from here on, so deinit frees whatever a failure leaves behind.
        self.sendsShortLastFrame = capabilities & (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE) != 0

        guard let codec = avcodec_alloc_context3(encoder) else {
            throw AudioError.encoderFailed("out of memory", code: FFmpegCode.noMemory)
        }
        codecContext = codec
        codec.pointee.sample_rate = Int32(rate)
        codec.pointee.sample_fmt = chosenFormat
        codec.pointee.ch_layout = chorus_channel_layout_mono()
        codec.pointee.time_base = AVRational(num: 1, den: Int32(rate))
        codec.pointee.thread_count = 1
        if var bitrate = bitrate ?? format.defaultBitrate {
            // libopus refuses more than 256 kb/s per channel; lame and aac clamp on their own.
            if format == .opus { bitrate = min(max(bitrate, 6000), 256_000) }
            codec.pointee.bit_rate = Int64(bitrate)
        }
        if format == .opus, capabilities & AV_CODEC_CAP_EXPERIMENTAL != 0 {
            codec.pointee.strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL
        }

        var muxer: UnsafeMutablePointer<AVFormatContext>?
        try throwIfFail(avformat_alloc_output_context2(&muxer, nil, muxerName, nil),
                        .unsupported, "no \(muxerName) muxer in this FFmpeg build")
        guard let muxer else { throw AudioError.unsupported("no \(muxerName) muxer in this FFmpeg build") }
        formatContext = muxer
        if muxer.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            codec.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try throwIfFail(avcodec_open2(codec, encoder, nil), .encoderFailed, "cannot open the \(format) encoder")
        let codecFrameSize = Int(codec.pointee.frame_size)
        self.frameCapacity = codecFrameSize > 0 ? codecFrameSize : 1024

        guard let stream = avformat_new_stream(muxer, nil) else {
            throw AudioError.encoderFailed("out of memory", code: FFmpegCode.noMemory)
        }
        self.stream = stream
        try throwIfFail(avcodec_parameters_from_context(stream.pointee.codecpar, codec),
                        .encoderFailed, "cannot describe the \(format) stream")
        stream.pointee.time_base = codec.pointee.time_base

        let ioBufferSize: Int32 = streaming ? 16 * 1024 : 64 * 1024
        guard let ioBuffer = av_malloc(Int(ioBufferSize))?.assumingMemoryBound(to: UInt8.self) else {
            throw AudioError.encoderFailed("out of memory", code: FFmpegCode.noMemory)
        }
        let opaque = Unmanaged.passUnretained(output).toOpaque()
        guard let io = chorus_avio_alloc_context(ioBuffer, ioBufferSize, 1, opaque, nil, avioWriteCallback,
                                                 streaming ? nil : avioOutputSeekCallback) else {
            av_free(ioBuffer)
            throw AudioError.encoderFailed("out of memory", code: FFmpegCode.noMemory)
        }
        ioContext = io
        muxer.pointee.pb = io
        muxer.pointee.flags |= AVFMT_FLAG_CUSTOM_IO

        var options: OpaquePointer?
        for (key, value) in muxerOptions { av_dict_set(&options, key, value, 0) }
        let headerResult = avformat_write_header(muxer, &options)
        av_dict_free(&options)
        try throwIfFail(headerResult, .encoderFailed, "cannot write the \(format) header")
        avio_flush(io)

        guard let packet = av_packet_alloc(), let frame = av_frame_alloc() else {
            throw AudioError.encoderFailed("out of memory", code: FFmpegCode.noMemory)
        }
        self.packet = packet
        self.frame = frame
        frame.pointee.nb_samples = Int32(frameCapacity)
        frame.pointee.format = chosenFormat.rawValue
        frame.pointee.sample_rate = Int32(rate)
        try throwIfFail(av_channel_layout_copy(&frame.pointee.ch_layout, &codec.pointee.ch_layout),
                        .encoderFailed, "cannot set up an audio frame")
        try throwIfFail(av_frame_get_buffer(frame, 0), .encoderFailed, "cannot allocate an audio frame")
    }

    deinit {
        if let frame { var doomed: UnsafeMutablePointer<AVFrame>? = frame; av_frame_free(&doomed) }
        if let packet { var doomed: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&doomed) }
        if codecContext != nil { avcodec_free_context(&codecContext) }
        if let formatContext {
            formatContext.pointee.pb = nil
            avformat_free_context(formatContext)
        }
        if ioContext != nil { chorus_avio_context_free(&ioContext) }
    }

    /// Appends `count` mono samples in ``sampleFormat``; full frames are encoded and muxed at once.
    func append(_ samples: UnsafePointer<UInt8>, count: Int) throws {
        guard let frame, !finished else { throw AudioError.encoderFailed("the \(format) encoder is finished") }
        var offset = 0
        while offset < count {
            if filled == 0 {
                try throwIfFail(av_frame_make_writable(frame), .encoderFailed, "cannot reuse an audio frame")
            }
            guard let plane = frame.pointee.data.0 else { throw AudioError.encoderFailed("audio frame has no buffer") }
            let take = min(frameCapacity - filled, count - offset)
            (plane + filled * bytesPerSample).update(from: samples + offset * bytesPerSample, count: take * bytesPerSample)
            filled += take
            offset += take
            if filled == frameCapacity { try sendFrame() }
        }
    }

    /// For streams: pushes every complete packet through the muxer (Ogg holds packets until a page
    /// fills) and the I/O buffer, so ``takeOutput()`` returns all that is ready.
    func flushOutput() throws {
        guard let formatContext, let ioContext, !finished else { return }
        if packetsSinceFlush > 0, formatContext.pointee.oformat.pointee.flags & AVFMT_ALLOW_FLUSH != 0 {
            try throwIfFail(av_write_frame(formatContext, nil), .encoderFailed, "cannot flush the \(format) muxer")
        }
        packetsSinceFlush = 0
        avio_flush(ioContext)
    }

    /// Encodes what is left, drains the encoder and writes the trailer.
    func finish() throws {
        guard !finished, let codecContext, let formatContext, let ioContext, let frame else { return }
        if filled > 0 {
            if !sendsShortLastFrame {
                av_samples_set_silence(&frame.pointee.data.0, Int32(filled), Int32(frameCapacity - filled), 1, sampleFormat)
                filled = frameCapacity
            }
            try sendFrame()
        }
        try throwIfFail(avcodec_send_frame(codecContext, nil), .encoderFailed, "cannot flush the \(format) encoder")
        try receivePackets()
        finished = true
        try throwIfFail(av_write_trailer(formatContext), .encoderFailed, "cannot finish the \(format) stream")
        avio_flush(ioContext)
    }

    /// The bytes written since the last call (streams) or the whole file (after ``finish()``).
    func takeOutput() -> [UInt8] { output.take() }

    private func sendFrame() throws {
        guard let codecContext, let frame else { return }
        frame.pointee.nb_samples = Int32(filled)
        frame.pointee.pts = nextTimestamp
        nextTimestamp += Int64(filled)
        filled = 0
        try throwIfFail(avcodec_send_frame(codecContext, frame), .encoderFailed, "the \(format) encoder refused a frame")
        frame.pointee.nb_samples = Int32(frameCapacity)
        try receivePackets()
    }

    private func receivePackets() throws {
        guard let codecContext, let formatContext, let packet, let stream else { return }
        while true {
            let received = avcodec_receive_packet(codecContext, packet)
            if received == FFmpegCode.again || received == FFmpegCode.eof { return }
            try throwIfFail(received, .encoderFailed, "the \(format) encoder failed")
            av_packet_rescale_ts(packet, codecContext.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_write_frame(formatContext, packet)
            av_packet_unref(packet)
            try throwIfFail(written, .encoderFailed, "cannot mux a \(format) packet")
            packetsSinceFlush += 1
        }
    }
}
