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
        return try read(mask, header: header, editColor: editColor).edits
    }

    // MARK: - Implementation

    static func convertTyped(mask: [UInt8], imageWidth: Int, imageHeight: Int, to mode: MaskMode,
                             editColor: MaskEditColor, limits: ImageLimits) throws(ImageError) -> [UInt8] {
        let header = try checkedHeader(mask, imageWidth: imageWidth, imageHeight: imageHeight, limits: limits)
        let read = try read(mask, header: header, editColor: editColor)
        let count = header.width * header.height
        switch mode {
        case .alpha:
            if read.alphaStyle { return mask }
            let pixels = [UInt8](unsafeUninitializedCapacity: count * 4) { out, initialized in
                read.edits.withUnsafeBufferPointer { edits in
                    // Keep pixels are opaque black, edit pixels fully transparent black.
                    out.withMemoryRebound(to: UInt32.self) { words in
                        let opaque = UInt32(littleEndian: 0xFF00_0000)
                        for i in 0..<count { words[i] = edits[i] != 0 ? 0 : opaque }
                    }
                }
                initialized = count * 4
            }
            return try PNGCodec.encode(pixels, width: header.width, height: header.height, layout: .rgba, fast: true)
        case .whiteEdits, .blackEdits:
            let (edit, keep): (UInt8, UInt8) = mode == .whiteEdits ? (255, 0) : (0, 255)
            let pixels = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                read.edits.withUnsafeBufferPointer { edits in
                    for i in 0..<count { out[i] = edits[i] != 0 ? edit : keep }
                }
                initialized = count
            }
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

    struct Read {
        /// 1 where the pixel is to be edited, 0 where it is kept; one byte per pixel.
        var edits: [UInt8]
        var alphaStyle: Bool
    }

    /// Decodes the mask in the narrowest layout that keeps its information and classifies every pixel.
    static func read(_ mask: [UInt8], header: PNGHeader, editColor: MaskEditColor) throws(ImageError) -> Read {
        let layout = PNGHeader.layout(mask)
        let hasAlpha = header.hasAlphaChannel || layout.hasTransparencyChunk
        let isGray = header.colorType == 0 || header.colorType == 4
        let pixelLayout: PNGPixelLayout = isGray ? (hasAlpha ? .grayAlpha : .gray) : (hasAlpha ? .rgba : .rgb)
        let decoded = try PNGCodec.decode(mask, header: header, layout: layout, as: pixelLayout)
        let count = header.width * header.height
        let channels = pixelLayout.channels
        let threshold = Self.threshold
        let editWhite: UInt8 = editColor == .white ? 1 : 0

        return decoded.pixels.withUnsafeBufferPointer { p -> Read in
            var alphaStyle = false
            if hasAlpha {
                var i = channels - 1
                while i < p.count {
                    if p[i] != 255 { alphaStyle = true; break }
                    i += channels
                }
            }
            let edits = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                if alphaStyle {
                    let a = UInt8(threshold)
                    for i in 0..<count { out[i] = p[i * channels + channels - 1] < a ? 1 : 0 }
                } else if isGray {
                    let t = UInt8(threshold)
                    for i in 0..<count { out[i] = (p[i * channels] >= t ? 1 : 0) == editWhite ? 1 : 0 }
                } else {
                    let t = UInt32(threshold * 1000)
                    for i in 0..<count {
                        let o = i * channels
                        let y = 299 * UInt32(p[o]) + 587 * UInt32(p[o + 1]) + 114 * UInt32(p[o + 2])
                        out[i] = (y >= t ? 1 : 0) == editWhite ? 1 : 0
                    }
                }
                initialized = count
            }
            return Read(edits: edits, alphaStyle: alphaStyle)
        }
    }
}
