/// Bounds checked before any decoder allocates: a decompression bomb is refused from its header.
public struct ImageLimits: Sendable, Equatable {
    /// Largest width × height accepted (default 4096 × 4096, i.e. 64 MiB as RGBA8).
    public var maxPixels: Int
    /// Largest encoded input accepted, in bytes (default 50 MiB).
    public var maxBytes: Int

    public init(maxPixels: Int = 4096 * 4096, maxBytes: Int = 50 << 20) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }

    public static let `default` = ImageLimits()

    /// Throws unless `data` is within ``maxBytes``.
    func check(byteCount: Int) throws(ImageError) {
        if byteCount > maxBytes { throw .tooManyBytes(byteCount, limit: maxBytes) }
    }

    /// Throws unless `width` × `height` is positive and within ``maxPixels``; overflow counts as too many.
    func check(width: Int, height: Int) throws(ImageError) {
        guard width > 0, height > 0 else { throw .corrupt("image declares a size of \(width)x\(height)") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels { throw .tooManyPixels(width: width, height: height, limit: maxPixels) }
    }
}
