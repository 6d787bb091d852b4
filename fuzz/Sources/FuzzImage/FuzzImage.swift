import CFuzzer
import ChorusMedia
import FuzzSupport

/// Images and edit masks a caller uploads: format detection, header reading, full decodes (libpng, FFmpeg's
/// mjpeg and webp), and mask validation and conversion to every provider convention.
///
/// Beyond not crashing: a decode has the size the header declared, with 4 bytes a pixel; a converted mask is a
/// PNG of the mask's size; an edit map has one byte a pixel.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    // Small limits keep each run fast; the checks they guard run all the same.
    let limits = ImageLimits(maxPixels: 256 * 256, maxBytes: 1 << 20)
    let detected = ImageFormat.detect(input)
    guard let info = try? ImageReader.info(input) else { return 0 }
    require(detected == info.format, "detect says \(String(describing: detected)), info says \(info.format)")
    require(info.width > 0 && info.height > 0, "info reported \(info.width)x\(info.height)")

    if let image = try? ImageReader.decode(input, limits: limits) {
        require(image.pixels.count == image.width * image.height * 4, "decoded \(image.pixels.count) bytes for \(image.width)x\(image.height)")
        if info.format == .png {
            require(image.width == info.width && image.height == info.height, "png decoded to a size other than its header's")
        }
    }
    guard info.format == .png else { return 0 }

    guard (try? MaskConverter.validate(mask: input, imageWidth: info.width, imageHeight: info.height, limits: limits)) != nil
    else { return 0 }
    for color in MaskEditColor.allCases {
        if let map = try? MaskConverter.editMap(mask: input, imageWidth: info.width, imageHeight: info.height,
                                                editColor: color, limits: limits) {
            require(map.count == info.width * info.height && map.allSatisfy { $0 <= 1 }, "edit map has the wrong shape")
        }
        for mode in MaskMode.allCases {
            guard let converted = try? MaskConverter.convert(mask: input, imageWidth: info.width, imageHeight: info.height,
                                                             to: mode, editColor: color, limits: limits)
            else { continue }
            let out = try? ImageReader.info(converted)
            require(out?.format == .png && out?.width == info.width && out?.height == info.height,
                    "converted mask is not a \(info.width)x\(info.height) PNG")
        }
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzImage) }
}

/// libFuzzer's mutations, then (three times in four) every PNG chunk CRC recomputed: a flipped bit in a chunk
/// otherwise only ever reaches the CRC check, and the header and pixel paths behind it go unexplored.
@_cdecl("LLVMFuzzerCustomMutator")
public func mutateImage(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    let newSize = LLVMFuzzerMutate(data, size, maxSize)
    if seed % 4 != 0 { fixPNGChecksums(UnsafeMutableBufferPointer(start: data, count: newSize)) }
    return newSize
}

func fixPNGChecksums(_ png: UnsafeMutableBufferPointer<UInt8>) {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard png.count >= 8, png.prefix(8).elementsEqual(signature) else { return }
    var offset = 8
    while png.count - offset >= 12 {
        let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
        guard length <= png.count - offset - 12 else { return }
        let crc = crc32(png[(offset + 4)..<(offset + 8 + length)])
        for i in 0..<4 { png[offset + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
        offset += 12 + length
    }
}

private let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ bytes: Slice<UnsafeMutableBufferPointer<UInt8>>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}
