import CMediaShims
import CPNG

/// Sample layouts the PNG codec reads into and writes from (8 bits per channel, sRGB, straight alpha).
enum PNGPixelLayout: Sendable {
    case gray, grayAlpha, rgb, rgba

    var channels: Int {
        switch self {
        case .gray: 1
        case .grayAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    var pngFormat: UInt32 {
        switch self {
        case .gray: chorus_png_format_gray()
        case .grayAlpha: chorus_png_format_ga()
        case .rgb: chorus_png_format_rgb()
        case .rgba: chorus_png_format_rgba()
        }
    }
}

/// PNG through libpng's simplified API (`png_image_*`): it reports errors in `png_image.message` and never
/// longjmps into Swift. Our own header checks (``PNGHeader``) run first, so libpng only sees data whose declared
/// size is within the limits and plausible for the bytes present.
enum PNGCodec {
    struct Decoded: Sendable {
        var header: PNGHeader
        var layout: PNGHeader.Layout
        var pixels: [UInt8]
    }

    /// Checks the header and structure, then decodes into `pixelLayout` (8-bit).
    ///
    /// libpng converts as its simplified API does: palette and tRNS expand to alpha, 1/2/4-bit gray scales to
    /// 0…255, 16-bit samples reduce to 8. Ask for a layout without alpha only for images without alpha (libpng
    /// would otherwise composite onto black).
    static func decode(_ data: [UInt8], as pixelLayout: PNGPixelLayout, limits: ImageLimits) throws(ImageError) -> Decoded {
        try limits.check(byteCount: data.count)
        let header = try PNGHeader.parse(data)
        try limits.check(width: header.width, height: header.height)
        return try decode(data, header: header, layout: PNGHeader.layout(data), as: pixelLayout)
    }

    /// Decodes after the caller parsed the header (and checked it against the limits) and walked the chunks.
    static func decode(_ data: [UInt8], header: PNGHeader, layout: PNGHeader.Layout, as pixelLayout: PNGPixelLayout) throws(ImageError) -> Decoded {
        try header.checkPlausible(layout)

        let result: Result<[UInt8], ImageError> = data.withUnsafeBytes { raw in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            defer { png_image_free(&image) }
            // The memory must stay valid until png_image_finish_read: both calls stay inside this closure.
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                return .failure(failure(of: &image, layout: layout))
            }
            guard Int(image.width) == header.width, Int(image.height) == header.height else {
                return .failure(.corrupt("libpng read a size different from the IHDR"))
            }
            image.format = pixelLayout.pngFormat
            let size = chorus_png_image_size(&image)
            guard size == byteCount(width: header.width, height: header.height, channels: pixelLayout.channels) else {
                return .failure(.corrupt("unexpected decoded size \(size)"))
            }
            var ok: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                ok = png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
                // On failure libpng may leave rows unwritten; zero them so the array is fully initialised.
                if ok == 0 { buffer.initialize(repeating: 0) }
                count = size
            }
            guard ok != 0 else { return .failure(failure(of: &image, layout: layout)) }
            return .success(pixels)
        }
        return Decoded(header: header, layout: layout, pixels: try result.get())
    }

    /// Encodes 8-bit `pixels` (`width * height * layout.channels` bytes). `fast` trades size for speed
    /// (libpng's PNG_IMAGE_FLAG_FAST: fewer filters, lower zlib level) — right for masks, which compress well anyway.
    static func encode(_ pixels: [UInt8], width: Int, height: Int, layout pixelLayout: PNGPixelLayout, fast: Bool = false) throws(ImageError) -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
              let expected = byteCount(width: width, height: height, channels: pixelLayout.channels),
              pixels.count == expected
        else { throw .invalidArgument("pixel buffer of \(pixels.count) bytes does not match \(width)x\(height)") }

        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = pixelLayout.pngFormat
        image.flags = fast ? chorus_png_image_flag_fast() : 0
        defer { png_image_free(&image) }

        let capacity = chorus_png_image_png_size_max(&image)
        var written = 0
        var ok: Int32 = 0
        let buffer = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var size = capacity
            ok = pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, raw.baseAddress, 0, nil)
            }
            written = ok != 0 ? min(size, capacity) : 0
            count = written
        }
        guard ok != 0 else { throw .encodeFailed("libpng: \(message(of: &image))") }
        // The bound is about the raw size; keep only what was written.
        return [UInt8](unsafeUninitializedCapacity: written) { out, count in
            _ = buffer.withUnsafeBufferPointer { out.initialize(fromContentsOf: $0) }
            count = written
        }
    }

    private static func failure(of image: inout png_image, layout: PNGHeader.Layout) -> ImageError {
        let text = "libpng: \(message(of: &image))"
        return layout.sawEnd ? .corrupt(text) : .truncated(text)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}
