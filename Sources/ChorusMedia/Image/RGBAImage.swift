/// A decoded image: 8-bit RGBA, row-major, no padding (`pixels.count == width * height * 4`), straight (not
/// premultiplied) alpha.
public struct RGBAImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width` × `height` image filled with one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8, a: UInt8)) {
        self.width = width
        self.height = height
        let count = width > 0 && height > 0 ? (byteCount(width: width, height: height, channels: 4) ?? 0) / 4 : 0
        var pixels = [UInt8](repeating: 0, count: count * 4)
        for i in 0..<count {
            pixels[4 * i] = fill.r
            pixels[4 * i + 1] = fill.g
            pixels[4 * i + 2] = fill.b
            pixels[4 * i + 3] = fill.a
        }
        self.pixels = pixels
    }

    /// True when every pixel has alpha 255.
    public var isOpaque: Bool {
        pixels.withUnsafeBufferPointer { p in
            var i = 3
            while i < p.count {
                if p[i] != 255 { return false }
                i += 4
            }
            return true
        }
    }

    /// Throws unless the dimensions are positive and `pixels` holds exactly width × height × 4 bytes.
    func validate() throws(ImageError) {
        guard width > 0, height > 0 else { throw .invalidArgument("image size \(width)x\(height) is not positive") }
        guard let expected = byteCount(width: width, height: height, channels: 4), pixels.count == expected else {
            throw .invalidArgument("pixel buffer holds \(pixels.count) bytes; \(width)x\(height) RGBA needs \(width)*\(height)*4")
        }
    }
}

/// width × height × channels, or nil on overflow.
func byteCount(width: Int, height: Int, channels: Int) -> Int? {
    let (pixels, o1) = width.multipliedReportingOverflow(by: height)
    let (bytes, o2) = pixels.multipliedReportingOverflow(by: channels)
    return o1 || o2 ? nil : bytes
}
