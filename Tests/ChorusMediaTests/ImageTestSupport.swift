import ChorusMedia

/// Builds PNG files by hand (stored, uncompressed deflate blocks), independent of libpng, so tests can make any
/// colour type, bit depth, chunk order or lie in the header.
enum TestPNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    static func ihdr(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8, interlace: UInt8 = 0) -> [UInt8] {
        chunk("IHDR", bigEndian(width) + bigEndian(height) + [bitDepth, colorType, 0, 0, interlace])
    }

    /// A complete PNG. `rows` are packed scanlines without the filter byte (filter 0 is added).
    static func make(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8, rows: [[UInt8]],
                     before: [(String, [UInt8])] = []) -> [UInt8] {
        var raw: [UInt8] = []
        for row in rows { raw.append(0); raw += row }
        var png = signature + ihdr(width: UInt32(width), height: UInt32(height), bitDepth: bitDepth, colorType: colorType)
        for (type, data) in before { png += chunk(type, data) }
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    /// An 8-bit grayscale PNG from one value per pixel.
    static func gray(width: Int, height: Int, _ values: [UInt8]) -> [UInt8] {
        make(width: width, height: height, colorType: 0,
             rows: (0..<height).map { Array(values[$0 * width..<($0 + 1) * width]) })
    }

    /// An 8-bit PNG of `channels` samples per pixel (2 gray+alpha, 3 RGB, 4 RGBA).
    static func interleaved(width: Int, height: Int, channels: Int, _ samples: [UInt8]) -> [UInt8] {
        let colorType: UInt8 = [2: 4, 3: 2, 4: 6][channels] ?? 0
        let stride = width * channels
        return make(width: width, height: height, colorType: colorType,
                    rows: (0..<height).map { Array(samples[$0 * stride..<($0 + 1) * stride]) })
    }

    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            let final: UInt8 = offset + n == raw.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += raw[offset..<offset + n]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + bigEndian(b << 16 | a)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    /// The IHDR colour type byte of a PNG.
    static func colorType(_ png: [UInt8]) -> UInt8 { png[25] }
}


extension RGBAImage {
    /// The RGBA samples at (x, y), or [] outside the image.
    func pixel(_ x: Int, _ y: Int) -> [UInt8] {
        guard (0..<width).contains(x), (0..<height).contains(y), pixels.count == width * height * 4 else { return [] }
        let o = (y * width + x) * 4
        return Array(pixels[o..<o + 4])
    }
}

/// Runs `body`; returns nil when it succeeds or throws an ``ImageError``, and the error otherwise (used to prove
/// that garbage input only ever produces typed errors).
func untypedFailure(_ body: () throws -> Void) -> (any Error)? {
    do { try body(); return nil } catch is ImageError { return nil } catch { return error }
}
