import ChorusMedia
import Testing

@Suite struct PNGReaderTests {
    /// A 5x3 RGBA image with varied colours and alpha values, including 0 and 255.
    static let sample: RGBAImage = {
        var pixels: [UInt8] = []
        for i in 0..<15 { pixels += [UInt8(i * 17), UInt8(255 - i * 13), UInt8(i * 7 % 256), [0, 1, 127, 128, 254, 255][i % 6]] }
        return RGBAImage(width: 5, height: 3, pixels: pixels)
    }()

    @Test func pngRoundTripKeepsEveryRGBASample() throws {
        let png = try ImageWriter.encode(Self.sample, as: .png)
        #expect(ImageFormat.detect(png) == .png)
        #expect(TestPNG.colorType(png) == 6)
        #expect(try ImageReader.decode(png, limits: .default) == Self.sample)
        #expect(try ImageReader.info(png) == ImageInfo(format: .png, width: 5, height: 3, hasAlpha: true))
    }

    @Test func opaqueImageIsWrittenAsRGBAndReadsBackIdentical() throws {
        var image = Self.sample
        for i in stride(from: 3, to: image.pixels.count, by: 4) { image.pixels[i] = 255 }
        let png = try ImageWriter.encode(image, as: .png)
        #expect(TestPNG.colorType(png) == 2)
        #expect(try ImageReader.info(png).hasAlpha == false)
        #expect(try ImageReader.decode(png) == image)
    }

    @Test func handMadeGrayPNGDecodesToReplicatedRGB() throws {
        let png = TestPNG.gray(width: 3, height: 2, [0, 1, 127, 128, 254, 255])
        let image = try ImageReader.decode(png)
        #expect(image.width == 3 && image.height == 2)
        #expect(image.pixel(1, 0) == [1, 1, 1, 255])
        #expect(image.pixel(2, 1) == [255, 255, 255, 255])
    }

    @Test func oneBitGrayAndPaletteWithTransparencyDecode() throws {
        // 1-bit gray, 10 pixels wide: 1010101010.
        let bits = TestPNG.make(width: 10, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_1010, 0b1000_0000]])
        let gray = try ImageReader.decode(bits)
        #expect((0..<10).map { gray.pixel($0, 0)[0] } == [255, 0, 255, 0, 255, 0, 255, 0, 255, 0])

        // Palette: index 0 red (alpha 0 via tRNS), index 1 blue (opaque).
        let palette = TestPNG.make(width: 2, height: 1, colorType: 3, rows: [[0, 1]],
                                   before: [("PLTE", [255, 0, 0, 0, 0, 255]), ("tRNS", [0])])
        #expect(try ImageReader.info(palette).hasAlpha)
        let image = try ImageReader.decode(palette)
        #expect(image.pixel(0, 0) == [255, 0, 0, 0])
        #expect(image.pixel(1, 0) == [0, 0, 255, 255])
    }

    @Test func interlacedAndSixteenBitPNGsDecode() throws {
        // 2x1 Adam7: pass 1 holds pixel (0,0), pass 6 holds pixel (1,0).
        let interlaced = TestPNG.signature + TestPNG.ihdr(width: 2, height: 1, colorType: 0, interlace: 1)
            + TestPNG.chunk("IDAT", TestPNG.zlibStored([0, 10, 0, 200])) + TestPNG.chunk("IEND", [])
        let image = try ImageReader.decode(interlaced)
        #expect(image.pixel(0, 0) == [10, 10, 10, 255])
        #expect(image.pixel(1, 0) == [200, 200, 200, 255])

        let sixteen = TestPNG.make(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x00, 0x00, 0xFF, 0xFF]])
        let wide = try ImageReader.decode(sixteen)
        #expect(wide.pixel(0, 0) == [0, 0, 0, 255])
        #expect(wide.pixel(1, 0) == [255, 255, 255, 255])
    }

    @Test func concurrentDecodesAndEncodesAreIndependent() async throws {
        let png = try ImageWriter.encode(Self.sample, as: .png)
        let inputs = [png, ImageFixtures.testsrcJPEG, ImageFixtures.testsrcWebP, ImageFixtures.yellowAlphaLossyWebP]
        let expected = try inputs.map { try ImageReader.decode($0) }
        let results = try await withThrowingTaskGroup(of: (Int, RGBAImage, Int).self) { group in
            for round in 0..<8 {
                for (index, input) in inputs.enumerated() {
                    group.addTask {
                        let image = try ImageReader.decode(input)
                        let format = ImageFormat.allCases[round % 3]
                        let encoded = try ImageWriter.encode(image, as: format, quality: 80)
                        return (index, image, try ImageReader.info(encoded).width)
                    }
                }
            }
            var all: [(Int, RGBAImage, Int)] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 32)
        for (index, image, width) in results {
            #expect(image == expected[index])
            #expect(width == image.width)
        }
    }

    @Test func headerDeclaring100000x100000IsRefusedBeforeDecoding() throws {
        let bomb = TestPNG.signature + TestPNG.ihdr(width: 100_000, height: 100_000, colorType: 6)
            + TestPNG.chunk("IDAT", TestPNG.zlibStored([0, 0, 0, 0, 0])) + TestPNG.chunk("IEND", [])
        // info reads the header only and reports the lie faithfully.
        #expect(try ImageReader.info(bomb).width == 100_000)
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ImageError.self) { try ImageReader.decode(bomb, limits: .default) }
        #expect(error?.kind == .tooManyPixels)
        #expect(clock.now - start < .milliseconds(50))
        let convert = #expect(throws: ImageError.self) { try ImageWriter.convert(bomb, to: .jpeg, limits: .default) }
        #expect(convert?.kind == .tooManyPixels)
    }

    @Test func pixelLimitIsConfigurable() throws {
        let png = try ImageWriter.encode(RGBAImage(width: 20, height: 10, fill: (1, 2, 3, 4)), as: .png)
        #expect(throws: Never.self) { try ImageReader.decode(png, limits: ImageLimits(maxPixels: 200)) }
        let error = #expect(throws: ImageError.self) { try ImageReader.decode(png, limits: ImageLimits(maxPixels: 199)) }
        #expect(error?.kind == .tooManyPixels)
        let bytes = #expect(throws: ImageError.self) { try ImageReader.decode(png, limits: ImageLimits(maxBytes: 10)) }
        #expect(bytes?.kind == .tooManyBytes)
    }

    @Test func sizeWithinLimitButTooLittleDataIsTruncatedWithoutDecoding() throws {
        // Declares 4000x4000 RGBA (64 MB decoded) but carries a few bytes of image data: deflate cannot expand
        // that far, so this is refused from the chunk layout, before the output buffer is allocated.
        let liar = TestPNG.signature + TestPNG.ihdr(width: 4000, height: 4000, colorType: 6)
            + TestPNG.chunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]) + TestPNG.chunk("IEND", [])
        let error = #expect(throws: ImageError.self) { try ImageReader.decode(liar, limits: .default) }
        #expect(error?.kind == .truncated)
    }

    @Test func truncatedPNGGivesTypedErrorAtEveryLength() throws {
        let png = try ImageWriter.encode(Self.sample, as: .png)
        for length in 0..<png.count - 12 { // the last 12 bytes are IEND
            let cut = Array(png.prefix(length))
            let error = #expect(throws: ImageError.self, "length \(length)") { try ImageReader.decode(cut) }
            let expected: [ImageError.Kind] = length < 8 ? [.notAnImage] : [.truncated]
            #expect(error.map { expected.contains($0.kind) } == true, "length \(length): \(String(describing: error))")
        }
    }

    @Test func badIHDRIsCorrupt() throws {
        var png = try ImageWriter.encode(Self.sample, as: .png)
        png[20] ^= 0x01 // height changes, CRC no longer matches
        #expect((#expect(throws: ImageError.self) { try ImageReader.info(png) })?.kind == .corrupt)

        let zeroWidth = TestPNG.signature + TestPNG.ihdr(width: 0, height: 5, colorType: 0) + TestPNG.chunk("IEND", [])
        #expect((#expect(throws: ImageError.self) { try ImageReader.info(zeroWidth) })?.kind == .corrupt)
        let huge = TestPNG.signature + TestPNG.ihdr(width: 0x8000_0000, height: 1, colorType: 0) + TestPNG.chunk("IEND", [])
        #expect((#expect(throws: ImageError.self) { try ImageReader.info(huge) })?.kind == .corrupt)
        let badDepth = TestPNG.signature + TestPNG.ihdr(width: 1, height: 1, bitDepth: 4, colorType: 6) + TestPNG.chunk("IEND", [])
        #expect((#expect(throws: ImageError.self) { try ImageReader.info(badDepth) })?.kind == .corrupt)
    }

    @Test func emptyAndRandomBytesAreNotImages() throws {
        #expect((#expect(throws: ImageError.self) { try ImageReader.info([]) })?.kind == .notAnImage)
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode([]) })?.kind == .notAnImage)
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 1..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(untypedFailure { _ = try ImageReader.decode(bytes) } == nil)
        }
        let noise = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode(noise) })?.kind == .notAnImage)
    }

    @Test func corruptedPNGsOnlyEverThrowImageErrors() throws {
        let png = try ImageWriter.encode(RGBAImage(width: 16, height: 16, fill: (10, 20, 30, 40)), as: .png)
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            var bytes = png
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 8..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            #expect(untypedFailure { _ = try ImageReader.decode(bytes) } == nil)
            #expect(untypedFailure { _ = try MaskConverter.convert(mask: bytes, imageWidth: 16, imageHeight: 16, to: .whiteEdits) } == nil)
        }
    }

    @Test func gifAndOtherFormatsAreUnsupported() throws {
        let gif = Array("GIF89a".utf8) + [8, 0, 8, 0, 0xF7, 0, 0]
        #expect(ImageFormat.detect(gif) == nil)
        #expect((#expect(throws: ImageError.self) { try ImageReader.info(gif) })?.kind == .unsupportedFormat)
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode(gif) })?.kind == .unsupportedFormat)
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]
        #expect((#expect(throws: ImageError.self) { try ImageWriter.convert(tiff, to: .png) })?.kind == .unsupportedFormat)
    }
}
