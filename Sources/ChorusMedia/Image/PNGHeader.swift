/// Our own reading of a PNG's signature, IHDR and chunk layout, done before libpng sees the data.
///
/// It rejects decompression bombs (declared size over the pixel limit) and data that cannot hold the image it
/// declares (truncation, or too few compressed bytes for the declared size) without allocating anything
/// proportional to the declared size.
struct PNGHeader: Sendable, Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: Int
    var interlaced: Bool

    /// Colour type 4 (gray + alpha) or 6 (RGBA).
    var hasAlphaChannel: Bool { colorType == 4 || colorType == 6 }
    var channels: Int {
        switch colorType {
        case 0, 3: 1
        case 4: 2
        case 2: 3
        default: 4
        }
    }

    /// The size the zlib stream must inflate to at the least: one filter byte plus the packed row, per row
    /// (interlaced images need more, so this is a lower bound for them).
    var minimumInflatedBytes: Int {
        let rowBits = width * channels * bitDepth
        let (total, overflow) = height.multipliedReportingOverflow(by: 1 + (rowBits + 7) / 8)
        return overflow ? Int.max : total
    }

    static let ihdrEnd = 8 + 8 + 13 + 4

    /// Parses and checks the signature and the IHDR chunk (which must come first, length 13, valid CRC).
    static func parse(_ data: [UInt8]) throws(ImageError) -> PNGHeader {
        guard data.starts(with: ImageFormat.pngSignature) else { throw .notAnImage("data does not start with the PNG signature") }
        guard data.count >= ihdrEnd else { throw .truncated("PNG ends inside its IHDR chunk (\(data.count) bytes)") }
        let length = readUInt32BE(data, 8)
        guard length == 13, data[12..<16].elementsEqual("IHDR".utf8) else {
            throw .corrupt("PNG does not start with a 13-byte IHDR chunk")
        }
        let crc = readUInt32BE(data, 29)
        guard CRC32.checksum(data[12..<29]) == crc else { throw .corrupt("PNG IHDR chunk has a bad CRC") }
        let width = Int(readUInt32BE(data, 16))
        let height = Int(readUInt32BE(data, 20))
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw .corrupt("PNG IHDR declares an invalid size \(width)x\(height)")
        }
        let bitDepth = Int(data[24]), colorType = Int(data[25])
        let validDepths: [Int]
        switch colorType {
        case 0: validDepths = [1, 2, 4, 8, 16]
        case 3: validDepths = [1, 2, 4, 8]
        case 2, 4, 6: validDepths = [8, 16]
        default: throw .corrupt("PNG IHDR has an invalid colour type \(colorType)")
        }
        guard validDepths.contains(bitDepth) else {
            throw .corrupt("PNG IHDR has bit depth \(bitDepth), invalid for colour type \(colorType)")
        }
        guard data[26] == 0, data[27] == 0, data[28] <= 1 else {
            throw .corrupt("PNG IHDR has an invalid compression, filter or interlace method")
        }
        return PNGHeader(width: width, height: height, bitDepth: bitDepth, colorType: colorType, interlaced: data[28] == 1)
    }

    /// What a walk over the chunk headers (lengths and types only, no decompression) found.
    struct Layout: Sendable, Equatable {
        /// A tRNS chunk came before the image data (transparency for gray/RGB/palette images).
        var hasTransparencyChunk = false
        /// Sum of the IDAT chunk lengths.
        var compressedBytes = 0
        var sawImageData = false
        var sawEnd = false
        /// A chunk claims more bytes than the data has left.
        var cutShort = false
    }

    /// Walks the chunks after IHDR. With `stopAtImageData`, stops at the first IDAT (enough for ``Layout/hasTransparencyChunk``).
    static func layout(_ data: [UInt8], stopAtImageData: Bool = false) -> Layout {
        var layout = Layout()
        var offset = ihdrEnd
        while offset < data.count {
            guard data.count - offset >= 12 else { layout.cutShort = true; break }
            let length = Int(readUInt32BE(data, offset))
            let type = (data[offset + 4], data[offset + 5], data[offset + 6], data[offset + 7])
            guard length <= Int(Int32.max), data.count - offset - 12 >= length else { layout.cutShort = true; break }
            switch type {
            case (0x49, 0x44, 0x41, 0x54): // IDAT
                layout.sawImageData = true
                layout.compressedBytes += length
                if stopAtImageData { return layout }
            case (0x74, 0x52, 0x4E, 0x53): // tRNS
                if !layout.sawImageData { layout.hasTransparencyChunk = true }
            case (0x49, 0x45, 0x4E, 0x44): // IEND
                layout.sawEnd = true
                return layout
            default:
                break
            }
            offset += 12 + length
        }
        return layout
    }

    /// Deflate cannot expand more than 1032:1 (a 258-byte match costs at least 2 bits), so fewer compressed bytes
    /// than this cannot hold the declared image. Checked before allocating the output buffer.
    static let maximumDeflateRatio = 1032

    /// Throws unless the image data is complete and large enough for the declared size.
    func checkPlausible(_ layout: Layout) throws(ImageError) {
        if layout.cutShort { throw .truncated("PNG data ends in the middle of a chunk") }
        guard layout.sawImageData else {
            throw layout.sawEnd ? .corrupt("PNG has no image data (IDAT)") : .truncated("PNG ends before its image data")
        }
        let (capacity, overflow) = layout.compressedBytes.multipliedReportingOverflow(by: Self.maximumDeflateRatio)
        if !overflow, capacity + 64 < minimumInflatedBytes {
            throw .truncated("PNG declares \(width)x\(height) but holds only \(layout.compressedBytes) bytes of image data")
        }
    }
}
