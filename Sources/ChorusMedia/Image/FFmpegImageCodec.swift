import CMediaShims
import CFFmpeg

/// JPEG and WebP through libavcodec's image codecs (mjpeg and webp decoders; mjpeg and libwebp encoders) with
/// libswscale converting to and from RGBA. Every FFmpeg object is owned by a small class that frees it.
enum FFmpegImageCodec {
    /// Decodes one JPEG or WebP image. The caller has already checked the header's size against the limits;
    /// the decoder's own `max_pixels` is set as a second guard, and the decoded size is checked again.
    static func decode(_ data: [UInt8], format: ImageFormat, limits: ImageLimits) throws(ImageError) -> RGBAImage {
        let codecID = format == .jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_WEBP
        guard let codec = avcodec_find_decoder(codecID) else {
            throw .unsupportedFormat("this FFmpeg build has no \(format.rawValue) decoder")
        }
        let context = try CodecContext(codec)
        context.pointer.pointee.thread_count = 1
        context.pointer.pointee.max_pixels = Int64(limits.maxPixels)
        try check(avcodec_open2(context.pointer, codec, nil), .corrupt, "cannot open the \(format.rawValue) decoder")

        let packet = try Packet()
        guard data.count < Int(Int32.max) - Int(AV_INPUT_BUFFER_PADDING_SIZE) else { throw .tooManyBytes(data.count, limit: limits.maxBytes) }
        try check(av_new_packet(packet.pointer, Int32(data.count)), .corrupt, "cannot allocate a packet")
        data.withUnsafeBufferPointer { source in
            if let base = source.baseAddress, let target = packet.pointer.pointee.data {
                target.update(from: base, count: source.count)
            }
        }
        try check(avcodec_send_packet(context.pointer, packet.pointer), .corrupt, "\(format.rawValue) decoder refused the data")
        _ = avcodec_send_packet(context.pointer, nil) // end of stream: the decoder emits what it holds
        let frame = try Frame()
        try check(avcodec_receive_frame(context.pointer, frame.pointer), .corrupt, "cannot decode the \(format.rawValue) image")

        let width = Int(frame.pointer.pointee.width), height = Int(frame.pointer.pointee.height)
        try limits.check(width: width, height: height)
        guard width <= Int(Int32.max) / 4 else { throw .tooManyPixels(width: width, height: height, limit: limits.maxPixels) }
        guard let sourceFormat = AVPixelFormat(rawValue: frame.pointer.pointee.format) as AVPixelFormat?,
              sourceFormat != AV_PIX_FMT_NONE
        else { throw .corrupt("decoder produced no pixel format") }
        let (format, fullRange) = unJ(sourceFormat, range: frame.pointer.pointee.color_range)

        let scaler = try Scaler(width: width, height: height, from: format, fromFullRange: fullRange, to: AV_PIX_FMT_RGBA, toFullRange: true)
        let count = width * height * 4
        var scaled: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let (mutablePlanes, sourceStrides) = planes(of: frame.pointer)
            let sourcePlanes = mutablePlanes.map { $0.map { UnsafePointer($0) } }
            let targetPlanes: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            let targetStrides: [Int32] = [Int32(width * 4), 0, 0, 0]
            scaled = sws_scale(scaler.pointer, sourcePlanes, sourceStrides, 0, Int32(height), targetPlanes, targetStrides)
            if scaled != Int32(height) { buffer.initialize(repeating: 0) }
            initialized = count
        }
        guard scaled == Int32(height) else { throw .corrupt("cannot convert the decoded \(format.rawValue) image to RGBA") }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes as JPEG (mjpeg, 4:2:0, alpha flattened onto white) or WebP (libwebp, lossy, 4:2:0 with alpha plane).
    /// `quality` 0…100, higher is better.
    static func encode(_ image: RGBAImage, as format: ImageFormat, quality: Int) throws(ImageError) -> [UInt8] {
        let codec: UnsafePointer<AVCodec>?
        let pixelFormat: AVPixelFormat
        var source = image
        let opaque = image.isOpaque
        switch format {
        case .jpeg:
            codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG)
            pixelFormat = AV_PIX_FMT_YUVJ420P
            if !opaque { source = flattenedOntoWhite(image) }
        case .webp:
            codec = avcodec_find_encoder_by_name("libwebp")
            pixelFormat = opaque ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUVA420P
        case .png:
            throw .invalidArgument("png is encoded with libpng, not FFmpeg")
        }
        guard let codec else { throw .encodeFailed("this FFmpeg build has no \(format.rawValue) encoder") }
        guard image.width <= 16383 || format != .webp, image.height <= 16383 || format != .webp else {
            throw .encodeFailed("WebP images are at most 16383x16383 pixels")
        }
        guard image.width <= 65535, image.height <= 65535 else { throw .encodeFailed("JPEG images are at most 65535x65535 pixels") }

        let context = try CodecContext(codec)
        let c = context.pointer
        c.pointee.width = Int32(image.width)
        c.pointee.height = Int32(image.height)
        c.pointee.pix_fmt = pixelFormat
        c.pointee.time_base = AVRational(num: 1, den: 25)
        c.pointee.thread_count = 1
        switch format {
        case .jpeg:
            // qscale 2 (best) … 31 (worst), given as lambda.
            let qscale = 2 + (100 - quality) * 29 / 100
            c.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
            c.pointee.global_quality = Int32(qscale) * Int32(FF_QP2LAMBDA)
            c.pointee.color_range = AVCOL_RANGE_JPEG
        default:
            // libwebp reads its 0…100 quality from global_quality / FF_QP2LAMBDA.
            c.pointee.global_quality = Int32(quality) * Int32(FF_QP2LAMBDA)
            c.pointee.color_range = AVCOL_RANGE_MPEG
        }
        try check(avcodec_open2(c, codec, nil), .encodeFailed, "cannot open the \(format.rawValue) encoder")

        let frame = try Frame()
        let f = frame.pointer
        f.pointee.width = c.pointee.width
        f.pointee.height = c.pointee.height
        f.pointee.format = pixelFormat.rawValue
        f.pointee.color_range = c.pointee.color_range
        f.pointee.pts = 0
        f.pointee.quality = c.pointee.global_quality
        try check(av_frame_get_buffer(f, 0), .encodeFailed, "cannot allocate a frame")

        let (targetFormat, targetFullRange) = unJ(pixelFormat, range: c.pointee.color_range)
        let scaler = try Scaler(width: image.width, height: image.height, from: AV_PIX_FMT_RGBA, fromFullRange: true,
                                to: targetFormat, toFullRange: targetFullRange)
        let (targetPlanes, targetStrides) = planes(of: f)
        let scaled = source.pixels.withUnsafeBufferPointer { pixels in
            let sourcePlanes: [UnsafePointer<UInt8>?] = [pixels.baseAddress, nil, nil, nil]
            let sourceStrides: [Int32] = [Int32(image.width * 4), 0, 0, 0]
            return sws_scale(scaler.pointer, sourcePlanes, sourceStrides, 0, Int32(image.height), targetPlanes, targetStrides)
        }
        guard scaled == Int32(image.height) else { throw .encodeFailed("cannot convert RGBA to \(targetFormat)") }

        try check(avcodec_send_frame(c, f), .encodeFailed, "\(format.rawValue) encoder refused the frame")
        _ = avcodec_send_frame(c, nil)
        let packet = try Packet()
        try check(avcodec_receive_packet(c, packet.pointer), .encodeFailed, "\(format.rawValue) encoder produced no image")
        let size = Int(packet.pointer.pointee.size)
        guard size > 0, let data = packet.pointer.pointee.data else { throw .encodeFailed("\(format.rawValue) encoder produced no bytes") }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    // MARK: - Helpers

    /// JPEG's deprecated `yuvj*` formats are the plain ones at full range; swscale wants them said that way.
    private static func unJ(_ format: AVPixelFormat, range: AVColorRange) -> (AVPixelFormat, fullRange: Bool) {
        switch format {
        case AV_PIX_FMT_YUVJ420P: (AV_PIX_FMT_YUV420P, true)
        case AV_PIX_FMT_YUVJ422P: (AV_PIX_FMT_YUV422P, true)
        case AV_PIX_FMT_YUVJ444P: (AV_PIX_FMT_YUV444P, true)
        case AV_PIX_FMT_YUVJ440P: (AV_PIX_FMT_YUV440P, true)
        case AV_PIX_FMT_YUVJ411P: (AV_PIX_FMT_YUV411P, true)
        default: (format, range == AVCOL_RANGE_JPEG)
        }
    }

    /// JPEG has no alpha: composite onto white so transparent areas do not turn black.
    static func flattenedOntoWhite(_ image: RGBAImage) -> RGBAImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            var i = 0
            while i + 3 < p.count {
                let a = UInt32(p[i + 3])
                if a != 255 {
                    let inverse = 255 * (255 - a)
                    p[i] = UInt8((UInt32(p[i]) * a + inverse + 127) / 255)
                    p[i + 1] = UInt8((UInt32(p[i + 1]) * a + inverse + 127) / 255)
                    p[i + 2] = UInt8((UInt32(p[i + 2]) * a + inverse + 127) / 255)
                    p[i + 3] = 255
                }
                i += 4
            }
        }
        return out
    }

    /// The first four plane pointers and strides of `frame` (all swscale reads or writes).
    private static func planes(of frame: UnsafeMutablePointer<AVFrame>) -> ([UnsafeMutablePointer<UInt8>?], [Int32]) {
        let d = frame.pointee.data, l = frame.pointee.linesize
        return ([d.0, d.1, d.2, d.3], [l.0, l.1, l.2, l.3])
    }

    private static func check(_ code: Int32, _ kind: ImageError.Kind, _ what: @autoclosure () -> String) throws(ImageError) {
        guard code < 0 else { return }
        throw ImageError(kind: kind, message: "\(what()): \(errorText(code))")
    }

    static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        guard av_strerror(code, &buffer, buffer.count) == 0 else { return "FFmpeg error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - Owners of FFmpeg objects

    final class CodecContext {
        let pointer: UnsafeMutablePointer<AVCodecContext>
        init(_ codec: UnsafePointer<AVCodec>) throws(ImageError) {
            guard let pointer = avcodec_alloc_context3(codec) else { throw .encodeFailed("cannot allocate a codec context") }
            self.pointer = pointer
        }
        deinit {
            var p: UnsafeMutablePointer<AVCodecContext>? = pointer
            avcodec_free_context(&p)
        }
    }

    final class Packet {
        let pointer: UnsafeMutablePointer<AVPacket>
        init() throws(ImageError) {
            guard let pointer = av_packet_alloc() else { throw .encodeFailed("cannot allocate a packet") }
            self.pointer = pointer
        }
        deinit {
            var p: UnsafeMutablePointer<AVPacket>? = pointer
            av_packet_free(&p)
        }
    }

    final class Frame {
        let pointer: UnsafeMutablePointer<AVFrame>
        init() throws(ImageError) {
            guard let pointer = av_frame_alloc() else { throw .encodeFailed("cannot allocate a frame") }
            self.pointer = pointer
        }
        deinit {
            var p: UnsafeMutablePointer<AVFrame>? = pointer
            av_frame_free(&p)
        }
    }

    final class Scaler {
        let pointer: OpaquePointer
        init(width: Int, height: Int, from source: AVPixelFormat, fromFullRange: Bool,
             to target: AVPixelFormat, toFullRange: Bool) throws(ImageError) {
            let flags = SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
            guard let pointer = sws_getContext(Int32(width), Int32(height), source, Int32(width), Int32(height), target,
                                               flags, nil, nil, nil)
            else { throw .corrupt("no pixel conversion from \(source) to \(target)") }
            self.pointer = pointer
            let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
            _ = sws_setColorspaceDetails(pointer, coefficients, fromFullRange ? 1 : 0, coefficients, toFullRange ? 1 : 0,
                                         0, 1 << 16, 1 << 16)
        }
        deinit { sws_freeContext(pointer) }
    }
}
