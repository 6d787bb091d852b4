import ChorusMedia
import Testing

@Suite struct MaskConverterTests {
    /// Every alpha value 0…255 once, on a 16x16 RGBA mask with arbitrary colours.
    static let alphaRamp: [UInt8] = {
        var samples: [UInt8] = []
        for i in 0..<256 { samples += [UInt8(i), UInt8(255 - i), UInt8(i / 2), UInt8(i)] }
        return TestPNG.interleaved(width: 16, height: 16, channels: 4, samples)
    }()
    /// Every gray value 0…255 once, 16x16, no alpha.
    static let grayRamp = TestPNG.gray(width: 16, height: 16, (0..<256).map { UInt8($0) })

    /// The output of a b/w mode, one gray value per pixel, after checking it is an 8-bit grayscale PNG.
    func grayValues(_ png: [UInt8]) throws -> [UInt8] {
        #expect(TestPNG.colorType(png) == 0)
        let image = try ImageReader.decode(png)
        return (0..<image.width * image.height).map { i in
            let p = Array(image.pixels[4 * i..<4 * i + 4])
            #expect(p[0] == p[1] && p[1] == p[2] && p[3] == 255)
            return p[0]
        }
    }

    /// The alpha values of an alpha-mode output, after checking it is an RGBA PNG with black colour.
    func alphaValues(_ png: [UInt8]) throws -> [UInt8] {
        #expect(TestPNG.colorType(png) == 6)
        let image = try ImageReader.decode(png)
        return (0..<image.width * image.height).map { i in
            #expect(image.pixels[4 * i..<4 * i + 3].allSatisfy { $0 == 0 })
            return image.pixels[4 * i + 3]
        }
    }

    @Test func alphaMaskBecomesWhiteEdits() throws {
        let out = try MaskConverter.convert(mask: Self.alphaRamp, imageWidth: 16, imageHeight: 16, to: .whiteEdits, editColor: .white, limits: .default)
        #expect(try grayValues(out) == (0..<256).map { $0 < 128 ? 255 : 0 })
    }

    @Test func alphaMaskBecomesBlackEdits() throws {
        let out = try MaskConverter.convert(mask: Self.alphaRamp, imageWidth: 16, imageHeight: 16, to: .blackEdits, editColor: .white, limits: .default)
        #expect(try grayValues(out) == (0..<256).map { $0 < 128 ? 0 : 255 })
    }

    @Test func alphaMaskForAlphaProviderPassesThroughByteForByte() throws {
        for editColor in MaskEditColor.allCases {
            let out = try MaskConverter.convert(mask: Self.alphaRamp, imageWidth: 16, imageHeight: 16, to: .alpha, editColor: editColor, limits: .default)
            #expect(out == Self.alphaRamp)
        }
    }

    @Test func blackWhiteMaskWithWhiteEditsBecomesAlphaMask() throws {
        let values: [UInt8] = [255, 0, 0, 255, 255, 255, 0, 0, 0, 255, 0, 255]
        let mask = TestPNG.gray(width: 4, height: 3, values)
        let out = try MaskConverter.convert(mask: mask, imageWidth: 4, imageHeight: 3, to: .alpha, editColor: .white, limits: .default)
        #expect(try alphaValues(out) == values.map { $0 == 255 ? 0 : 255 })
    }

    @Test func blackWhiteMaskWithBlackEditsBecomesAlphaMask() throws {
        let values: [UInt8] = [255, 0, 0, 255, 255, 255, 0, 0, 0, 255, 0, 255]
        let mask = TestPNG.gray(width: 4, height: 3, values)
        let out = try MaskConverter.convert(mask: mask, imageWidth: 4, imageHeight: 3, to: .alpha, editColor: .black, limits: .default)
        #expect(try alphaValues(out) == values.map { $0 == 0 ? 0 : 255 })
    }

    @Test func grayscaleWithIntermediateValuesSplitsAt128InEveryMode() throws {
        let white = (0..<256).map { $0 >= 128 }
        func convert(_ mode: MaskMode, _ edit: MaskEditColor) throws -> [UInt8] {
            try MaskConverter.convert(mask: Self.grayRamp, imageWidth: 16, imageHeight: 16, to: mode, editColor: edit, limits: .default)
        }
        #expect(try alphaValues(convert(.alpha, .white)) == white.map { $0 ? 0 : 255 })
        #expect(try alphaValues(convert(.alpha, .black)) == white.map { $0 ? 255 : 0 })
        #expect(try grayValues(convert(.whiteEdits, .white)) == white.map { $0 ? 255 : 0 })
        #expect(try grayValues(convert(.whiteEdits, .black)) == white.map { $0 ? 0 : 255 })
        #expect(try grayValues(convert(.blackEdits, .white)) == white.map { $0 ? 0 : 255 })
        #expect(try grayValues(convert(.blackEdits, .black)) == white.map { $0 ? 255 : 0 })
    }

    @Test func colourMaskWithoutAlphaIsReadByLuminance() throws {
        // (299 R + 587 G + 114 B) / 1000 >= 128 is white.
        let colours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [128, 128, 128], [127, 127, 127],
                                  [0, 0, 0], [255, 255, 255], [128, 127, 129], [200, 100, 10]]
        let expectedWhite = colours.map { 299 * Int($0[0]) + 587 * Int($0[1]) + 114 * Int($0[2]) >= 128_000 }
        #expect(expectedWhite == [false, true, false, true, true, false, false, true, false, false])
        let mask = TestPNG.interleaved(width: 5, height: 2, channels: 3, colours.flatMap { $0 })
        let out = try MaskConverter.convert(mask: mask, imageWidth: 5, imageHeight: 2, to: .whiteEdits, editColor: .white, limits: .default)
        #expect(try grayValues(out) == expectedWhite.map { $0 ? 255 : 0 })
    }

    @Test func fullyOpaqueRGBAMaskIsReadByLuminance() throws {
        // A b/w drawing saved as RGBA with alpha 255 everywhere carries no alpha information.
        let values: [UInt8] = [255, 0, 255, 0, 0, 255]
        let mask = TestPNG.interleaved(width: 3, height: 2, channels: 4, values.flatMap { [$0, $0, $0, 255] })
        let out = try MaskConverter.convert(mask: mask, imageWidth: 3, imageHeight: 2, to: .alpha, editColor: .white, limits: .default)
        #expect(out != mask)
        #expect(try alphaValues(out) == values.map { $0 == 255 ? 0 : 255 })
    }

    @Test func grayAlphaOneBitAndPaletteMasksAreRead() throws {
        // Gray + alpha: alpha decides.
        let ga = TestPNG.interleaved(width: 4, height: 1, channels: 2, [255, 0, 255, 255, 0, 0, 0, 200])
        let gaOut = try MaskConverter.convert(mask: ga, imageWidth: 4, imageHeight: 1, to: .whiteEdits, editColor: .white, limits: .default)
        #expect(try grayValues(gaOut) == [255, 0, 255, 0])

        // 1-bit gray: 1 = white.
        let bits = TestPNG.make(width: 9, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1100_1010, 0b1000_0000]])
        let bitsOut = try MaskConverter.convert(mask: bits, imageWidth: 9, imageHeight: 1, to: .blackEdits, editColor: .white, limits: .default)
        #expect(try grayValues(bitsOut) == [0, 0, 255, 255, 0, 255, 0, 255, 0])

        // Palette with tRNS: index 0 transparent, index 1 opaque.
        let palette = TestPNG.make(width: 3, height: 1, colorType: 3, rows: [[0, 1, 0]],
                                   before: [("PLTE", [0, 0, 0, 255, 255, 255]), ("tRNS", [0, 255])])
        let palOut = try MaskConverter.convert(mask: palette, imageWidth: 3, imageHeight: 1, to: .whiteEdits, editColor: .black, limits: .default)
        #expect(try grayValues(palOut) == [255, 0, 255])
        #expect(try MaskConverter.convert(mask: palette, imageWidth: 3, imageHeight: 1, to: .alpha, editColor: .black, limits: .default) == palette)
    }

    @Test func sixteenBitMaskIsRead() throws {
        let mask = TestPNG.make(width: 3, height: 1, bitDepth: 16, colorType: 0, rows: [[0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF]])
        let out = try MaskConverter.convert(mask: mask, imageWidth: 3, imageHeight: 1, to: .blackEdits, editColor: .white, limits: .default)
        #expect(try grayValues(out) == [0, 255, 0])
    }

    @Test func convertedMasksRoundTripBetweenModes() throws {
        let alpha = try MaskConverter.convert(mask: Self.grayRamp, imageWidth: 16, imageHeight: 16, to: .alpha, editColor: .white, limits: .default)
        let white = try MaskConverter.convert(mask: alpha, imageWidth: 16, imageHeight: 16, to: .whiteEdits, editColor: .white, limits: .default)
        let black = try MaskConverter.convert(mask: white, imageWidth: 16, imageHeight: 16, to: .blackEdits, editColor: .white, limits: .default)
        let alphaAgain = try MaskConverter.convert(mask: black, imageWidth: 16, imageHeight: 16, to: .alpha, editColor: .black, limits: .default)
        #expect(try alphaValues(alphaAgain) == alphaValues(alpha))
        #expect(try MaskConverter.editMap(mask: alphaAgain, imageWidth: 16, imageHeight: 16) == (0..<256).map { $0 >= 128 ? 1 : 0 })
    }

    @Test func maskOfAnotherSizeIsASizeMismatch() throws {
        let error = #expect(throws: ImageError.self) {
            try MaskConverter.convert(mask: Self.grayRamp, imageWidth: 16, imageHeight: 15, to: .alpha, editColor: .white, limits: .default)
        }
        #expect(error?.kind == .sizeMismatch)
        #expect(error?.message.contains("16x16") == true)
        #expect((#expect(throws: ImageError.self) { try MaskConverter.validate(mask: Self.grayRamp, imageWidth: 17, imageHeight: 16) })?.kind == .sizeMismatch)
        #expect(try MaskConverter.validate(mask: Self.alphaRamp, imageWidth: 16, imageHeight: 16) == ImageInfo(format: .png, width: 16, height: 16, hasAlpha: true))
    }

    @Test func nonPNGMaskIsInvalid() throws {
        for mask in [ImageFixtures.redJPEG, ImageFixtures.blueWebP, [], Array("GIF89a".utf8), [1, 2, 3]] {
            let error = #expect(throws: ImageError.self) {
                try MaskConverter.convert(mask: mask, imageWidth: 33, imageHeight: 17, to: .whiteEdits, editColor: .white, limits: .default)
            }
            #expect(error?.kind == .invalidMask)
        }
    }

    @Test func truncatedOrOversizedMaskGivesTypedError() throws {
        let cut = Array(Self.grayRamp.prefix(Self.grayRamp.count - 40))
        let truncated = #expect(throws: ImageError.self) {
            try MaskConverter.convert(mask: cut, imageWidth: 16, imageHeight: 16, to: .alpha, editColor: .white, limits: .default)
        }
        #expect(truncated?.kind == .truncated)
        let bomb = TestPNG.signature + TestPNG.ihdr(width: 100_000, height: 100_000, colorType: 0) + TestPNG.chunk("IEND", [])
        let tooMany = #expect(throws: ImageError.self) {
            try MaskConverter.convert(mask: bomb, imageWidth: 100_000, imageHeight: 100_000, to: .alpha, editColor: .white, limits: .default)
        }
        #expect(tooMany?.kind == .tooManyPixels)
    }

    @Test func megapixelMaskConversionTiming() throws {
        let side = 1024
        var pixels = [UInt8](repeating: 0, count: side * side * 4)
        for y in 0..<side {
            for x in 0..<side {
                let dx = x - 512, dy = y - 400
                let inside = dx * dx + dy * dy < 300 * 300
                pixels[(y * side + x) * 4 + 3] = inside ? 0 : 255
            }
        }
        let alphaMask = try ImageWriter.encode(RGBAImage(width: side, height: side, pixels: pixels), as: .png)
        let grayMask = try MaskConverter.convert(mask: alphaMask, imageWidth: side, imageHeight: side, to: .whiteEdits, editColor: .white, limits: .default)

        let clock = ContinuousClock()
        func best(_ body: () throws -> [UInt8]) rethrows -> (Duration, Int) {
            var best = Duration.seconds(1000), size = 0
            for _ in 0..<5 {
                let start = clock.now
                size = try body().count
                best = min(best, clock.now - start)
            }
            return (best, size)
        }
        let (toWhite, whiteSize) = try best {
            try MaskConverter.convert(mask: alphaMask, imageWidth: side, imageHeight: side, to: .whiteEdits, editColor: .white, limits: .default)
        }
        let (toAlpha, alphaSize) = try best {
            try MaskConverter.convert(mask: grayMask, imageWidth: side, imageHeight: side, to: .alpha, editColor: .white, limits: .default)
        }
        let (passThrough, _) = try best {
            try MaskConverter.convert(mask: alphaMask, imageWidth: side, imageHeight: side, to: .alpha, editColor: .white, limits: .default)
        }
        print("mask 1024x1024 (best of 5, this build): alpha->white_edits \(toWhite) (\(alphaMask.count) -> \(whiteSize) bytes), "
              + "gray->alpha \(toAlpha) (\(grayMask.count) -> \(alphaSize) bytes), alpha->alpha validate+passthrough \(passThrough)")
    }
}
