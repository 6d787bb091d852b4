/// Validates edit masks and converts them between the alpha and black/white conventions, bit-exactly.
///
/// Reading a mask:
/// - A mask is *alpha-style* when it has an alpha channel (PNG colour type 4/6 or a tRNS chunk) and at least one
///   pixel with alpha below 255. A pixel is to be edited when its alpha is below ``threshold`` (so alpha 0 edits,
///   alpha 255 keeps; soft edges split at 128).
/// - Any other mask (gray, RGB, palette, or with an alpha channel that is fully opaque) is read by luminance:
///   gray value, or for colour `(299 R + 587 G + 114 B) / 1000`, at or above ``threshold`` is white. Pixels of the
///   `editColor` are to be edited.
///
/// Writing a mask:
/// - ``MaskMode/alpha``: an alpha-style input is returned unchanged (same bytes). Otherwise an RGBA PNG with
///   `(0, 0, 0, 0)` on edit pixels and `(0, 0, 0, 255)` elsewhere.
/// - ``MaskMode/whiteEdits`` / ``MaskMode/blackEdits``: an 8-bit grayscale PNG, 255 / 0 on edit pixels and the
///   other value elsewhere.
public enum MaskConverter {
    /// Alpha below this edits; luminance at or above this is white.
    public static let threshold = 128

    /// Validates the mask against the image size (must be PNG, same width/height) and returns PNG bytes in the
    /// provider's mode. Throws ``ImageError`` `invalidMask` (not a PNG), `sizeMismatch`, `tooManyPixels`,
    /// `tooManyBytes`, `truncated` or `corrupt`.
    public static func convert(mask: [UInt8], imageWidth: Int, imageHeight: Int, to mode: MaskMode,
                               editColor: MaskEditColor = .white, limits: ImageLimits = .default) throws -> [UInt8] {
        try convertTyped(mask: mask, imageWidth: imageWidth, imageHeight: imageHeight, to: mode,
                         editColor: editColor, limits: limits)
    }

    /// Header-only validation: PNG, same size as the image, within the limits. Returns the mask's header info.
    public static func validate(mask: [UInt8], imageWidth: Int, imageHeight: Int,
                                limits: ImageLimits = .default) throws -> ImageInfo {
        let header = try checkedHeader(mask, imageWidth: imageWidth, imageHeight: imageHeight, limits: limits)
        let layout = PNGHeader.layout(mask, stopAtImageData: true)
        return ImageInfo(format: .png, width: header.width, height: header.height,
                         hasAlpha: header.hasAlphaChannel || layout.hasTransparencyChunk)
    }

    /// Which pixels are to be edited, one byte per pixel (1 = edit, 0 = keep), read as described above.
    public static func editMap(mask: [UInt8], imageWidth: Int, imageHeight: Int, editColor: MaskEditColor = .white,
                               limits: ImageLimits = .default) throws -> [UInt8] {
        let header = try checkedHeader(mask, imageWidth: imageWidth, imageHeight: imageHeight, limits: limits)
        return render(try decode(mask, header: header), editColor: editColor, edit: UInt8(1), keep: 0)
    }

    // MARK: - Implementation

    static func convertTyped(mask: [UInt8], imageWidth: Int, imageHeight: Int, to mode: MaskMode,
                             editColor: MaskEditColor, limits: ImageLimits) throws(ImageError) -> [UInt8] {
        let header = try checkedHeader(mask, imageWidth: imageWidth, imageHeight: imageHeight, limits: limits)
        let decoded = try decode(mask, header: header)
        switch mode {
        case .alpha:
            if decoded.alphaStyle { return mask }
            // Keep pixels are opaque black, edit pixels fully transparent black (RGBA bytes 0,0,0,255 / 0,0,0,0).
            let pixels = render(decoded, editColor: editColor, edit: UInt32(0), keep: UInt32(littleEndian: 0xFF00_0000))
            return try PNGCodec.encode(pixels, width: header.width, height: header.height, layout: .rgba, fast: true)
        case .whiteEdits, .blackEdits:
            let pixels = mode == .whiteEdits
                ? render(decoded, editColor: editColor, edit: UInt8(255), keep: 0)
                : render(decoded, editColor: editColor, edit: UInt8(0), keep: 255)
            return try PNGCodec.encode(pixels, width: header.width, height: header.height, layout: .gray, fast: true)
        }
    }

    /// Parses the mask's header and checks format, size and limits, in that order, before anything is decoded.
    static func checkedHeader(_ mask: [UInt8], imageWidth: Int, imageHeight: Int,
                              limits: ImageLimits) throws(ImageError) -> PNGHeader {
        try limits.check(byteCount: mask.count)
        guard ImageFormat.detect(mask) == .png else {
            if mask.isEmpty { throw .invalidMask("the mask is empty; it must be a PNG image") }
            let name = ImageFormat.detect(mask)?.rawValue ?? ImageFormat.unsupportedName(mask)
            throw .invalidMask(name.map { "the mask must be a PNG image, not \($0)" } ?? "the mask is not a PNG image")
        }
        let header = try PNGHeader.parse(mask)
        guard header.width == imageWidth, header.height == imageHeight else {
            throw .sizeMismatch("the mask is \(header.width)x\(header.height) but the image is \(imageWidth)x\(imageHeight)")
        }
        try limits.check(width: header.width, height: header.height)
        return header
    }

    struct DecodedMask {
        /// 8-bit samples, `channels` per pixel (gray, gray+alpha, RGB or RGBA).
        var pixels: [UInt8]
        var count: Int
        var channels: Int
        var isGray: Bool
        /// Has an alpha channel with at least one value below 255: alpha decides.
        var alphaStyle: Bool
    }

    /// Decodes the mask in the narrowest layout that keeps its information.
    static func decode(_ mask: [UInt8], header: PNGHeader) throws(ImageError) -> DecodedMask {
        let layout = PNGHeader.layout(mask)
        let hasAlpha = header.hasAlphaChannel || layout.hasTransparencyChunk
        let isGray = header.colorType == 0 || header.colorType == 4
        let pixelLayout: PNGPixelLayout = isGray ? (hasAlpha ? .grayAlpha : .gray) : (hasAlpha ? .rgba : .rgb)
        let decoded = try PNGCodec.decode(mask, header: header, layout: layout, as: pixelLayout)
        let channels = pixelLayout.channels
        var alphaStyle = false
        if hasAlpha {
            alphaStyle = decoded.pixels.withUnsafeBufferPointer { p in
                var i = channels - 1
                while i < p.count {
                    if p[i] != 255 { return true }
                    i += channels
                }
                return false
            }
        }
        return DecodedMask(pixels: decoded.pixels, count: header.width * header.height, channels: channels,
                           isGray: isGray, alphaStyle: alphaStyle)
    }

    /// One output value per pixel, as bytes: `edit` where the pixel is to be edited, `keep` elsewhere (a `UInt8` for
    /// gray, a `UInt32` holding the RGBA bytes for alpha). A single pass through a 256-entry table (alpha or gray),
    /// or the luminance sum for colour.
    static func render<T: FixedWidthInteger>(_ mask: DecodedMask, editColor: MaskEditColor, edit: T, keep: T) -> [UInt8] {
        let count = mask.count, channels = mask.channels
        let editsWhite = editColor == .white
        let table: [T]
        if mask.alphaStyle {
            table = (0..<256).map { $0 < threshold ? edit : keep }
        } else {
            table = (0..<256).map { ($0 >= threshold) == editsWhite ? edit : keep }
        }
        let size = MemoryLayout<T>.size
        return [UInt8](unsafeUninitializedCapacity: count * size) { buffer, initialized in
            initialized = 0
            guard let out = UnsafeMutableRawPointer(buffer.baseAddress) else { return }
            mask.pixels.withUnsafeBufferPointer { p in
                table.withUnsafeBufferPointer { t in
                    if mask.alphaStyle || mask.isGray {
                        let offset = mask.alphaStyle ? channels - 1 : 0
                        for i in 0..<count {
                            out.storeBytes(of: t[Int(p[i &* channels &+ offset])], toByteOffset: i &* size, as: T.self)
                        }
                    } else {
                        let white = UInt32(threshold * 1000)
                        let (whiteValue, blackValue) = editsWhite ? (edit, keep) : (keep, edit)
                        for i in 0..<count {
                            let o = i &* channels
                            let y = 299 &* UInt32(p[o]) &+ 587 &* UInt32(p[o &+ 1]) &+ 114 &* UInt32(p[o &+ 2])
                            out.storeBytes(of: y >= white ? whiteValue : blackValue, toByteOffset: i &* size, as: T.self)
                        }
                    }
                }
            }
            initialized = count * size
        }
    }
}
