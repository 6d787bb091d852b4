/// Encodes ``RGBAImage``s and converts encoded images between png, jpeg and webp.
public enum ImageWriter {
    /// Quality used for jpeg/webp when the caller gives none.
    public static let defaultQuality = 90

    /// Encodes `image` as `format`.
    ///
    /// - png: lossless, RGBA (RGB when every pixel is opaque); `quality` does not apply.
    /// - jpeg: 4:2:0, `quality` 0…100 maps to mjpeg qscale 31…2; transparent pixels are flattened onto white.
    /// - webp: lossy libwebp at `quality` 0…100, alpha kept.
    /// `quality` nil means ``defaultQuality``; outside 0…100 throws `invalidArgument`.
    public static func encode(_ image: RGBAImage, as format: ImageFormat, quality: Int? = nil) throws -> [UInt8] {
        try encodeTyped(image, as: format, quality: quality)
    }

    /// Re-encodes `data` (png, jpeg or webp) as `format`. Returns `data` itself, after a header check, when it
    /// already is `format` and `quality` is nil — and always for png to png, where quality does not apply.
    public static func convert(_ data: [UInt8], to format: ImageFormat, quality: Int? = nil,
                               limits: ImageLimits = .default) throws -> [UInt8] {
        try limits.check(byteCount: data.count)
        let info = try ImageReader.readInfo(data)
        try limits.check(width: info.width, height: info.height)
        if info.format == format, quality == nil || format == .png { return data }
        let image = try ImageReader.decodeTyped(data, limits: limits)
        return try encodeTyped(image, as: format, quality: quality)
    }

    static func encodeTyped(_ image: RGBAImage, as format: ImageFormat, quality: Int?) throws(ImageError) -> [UInt8] {
        try image.validate()
        if let quality, !(0...100).contains(quality) {
            throw .invalidArgument("quality must be between 0 and 100, got \(quality)")
        }
        switch format {
        case .png:
            guard image.isOpaque else {
                return try PNGCodec.encode(image.pixels, width: image.width, height: image.height, layout: .rgba)
            }
            return try PNGCodec.encode(rgb(of: image), width: image.width, height: image.height, layout: .rgb)
        case .jpeg, .webp:
            return try FFmpegImageCodec.encode(image, as: format, quality: quality ?? defaultQuality)
        }
    }

    /// The RGB bytes of an RGBA image (alpha dropped).
    static func rgb(of image: RGBAImage) -> [UInt8] {
        let count = image.width * image.height
        return [UInt8](unsafeUninitializedCapacity: count * 3) { out, initialized in
            image.pixels.withUnsafeBufferPointer { p in
                for i in 0..<count {
                    out[3 * i] = p[4 * i]
                    out[3 * i + 1] = p[4 * i + 1]
                    out[3 * i + 2] = p[4 * i + 2]
                }
            }
            initialized = count * 3
        }
    }
}
