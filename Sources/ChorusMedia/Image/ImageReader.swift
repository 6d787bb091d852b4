/// Reads png, jpeg and webp images: headers without decoding, or full decodes to ``RGBAImage``.
public enum ImageReader {
    /// Format, size and alpha from the header alone (no pixel decoding, nothing allocated in proportion to the
    /// declared size). Throws ``ImageError`` `notAnImage` for empty or unrecognised data, `unsupportedFormat` for
    /// gif/bmp/tiff/avif/heic/animated webp, `truncated`/`corrupt` for a bad header.
    public static func info(_ data: [UInt8]) throws -> ImageInfo {
        try readInfo(data)
    }

    /// Decodes a png, jpeg or webp image to 8-bit RGBA. The declared size is checked against `limits` before any
    /// pixel buffer is allocated.
    public static func decode(_ data: [UInt8], limits: ImageLimits = .default) throws -> RGBAImage {
        try decodeTyped(data, limits: limits)
    }

    static func readInfo(_ data: [UInt8]) throws(ImageError) -> ImageInfo {
        guard !data.isEmpty else { throw .notAnImage("image data is empty") }
        switch ImageFormat.detect(data) {
        case .png:
            let header = try PNGHeader.parse(data)
            let layout = PNGHeader.layout(data, stopAtImageData: true)
            return ImageInfo(format: .png, width: header.width, height: header.height,
                             hasAlpha: header.hasAlphaChannel || layout.hasTransparencyChunk)
        case .jpeg:
            let (width, height) = try JPEGHeader.size(data)
            return ImageInfo(format: .jpeg, width: width, height: height, hasAlpha: false)
        case .webp:
            let webp = try WebPHeader.parse(data)
            if webp.isAnimated { throw .unsupportedFormat("animated webp images are not supported") }
            return ImageInfo(format: .webp, width: webp.width, height: webp.height, hasAlpha: webp.hasAlpha)
        case nil:
            if let name = ImageFormat.unsupportedName(data) {
                throw .unsupportedFormat("\(name) images are not supported; send png, jpeg or webp")
            }
            throw .notAnImage()
        }
    }

    static func decodeTyped(_ data: [UInt8], limits: ImageLimits) throws(ImageError) -> RGBAImage {
        try limits.check(byteCount: data.count)
        let info = try readInfo(data)
        try limits.check(width: info.width, height: info.height)
        switch info.format {
        case .png:
            let decoded = try PNGCodec.decode(data, as: .rgba, limits: limits)
            return RGBAImage(width: decoded.header.width, height: decoded.header.height, pixels: decoded.pixels)
        case .jpeg, .webp:
            return try FFmpegImageCodec.decode(data, format: info.format, limits: limits)
        }
    }
}
