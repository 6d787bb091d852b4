import ChorusMedia
import Testing

@Suite struct ImageFormatTests {
    @Test func formatIsDetectedByMagicBytes() throws {
        #expect(ImageFormat.detect(TestPNG.gray(width: 1, height: 1, [0])) == .png)
        #expect(ImageFormat.detect(ImageFixtures.redJPEG) == .jpeg)
        #expect(ImageFormat.detect(ImageFixtures.blueWebP) == .webp)
        #expect(ImageFormat.detect(Array("RIFF\0\0\0\0WAVE".utf8)) == nil)
        #expect(ImageFormat.detect([]) == nil)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E]) == nil)
        #expect(ImageFormat.png.contentType == "image/png")
        #expect(ImageFormat.jpeg.contentType == "image/jpeg")
        #expect(ImageFormat.webp.contentType == "image/webp")
        #expect(ImageFormat(name: "JPG") == .jpeg)
        #expect(ImageFormat(rawValue: "webp") == .webp)
    }

    @Test func infoReadsJPEGAndWebPHeaders() throws {
        #expect(try ImageReader.info(ImageFixtures.testsrcJPEG) == ImageInfo(format: .jpeg, width: 64, height: 48, hasAlpha: false))
        #expect(try ImageReader.info(ImageFixtures.redJPEG) == ImageInfo(format: .jpeg, width: 33, height: 17, hasAlpha: false))
        #expect(try ImageReader.info(ImageFixtures.blueWebP) == ImageInfo(format: .webp, width: 40, height: 30, hasAlpha: false))
        #expect(try ImageReader.info(ImageFixtures.greenAlphaLosslessWebP) == ImageInfo(format: .webp, width: 20, height: 10, hasAlpha: true))
        #expect(try ImageReader.info(ImageFixtures.yellowAlphaLossyWebP) == ImageInfo(format: .webp, width: 24, height: 12, hasAlpha: true))
    }

    @Test func jpegDecodesToTheRightSizeAndColour() throws {
        let testsrc = try ImageReader.decode(ImageFixtures.testsrcJPEG)
        try #require(testsrc.width == 64 && testsrc.height == 48 && testsrc.pixels.count == 64 * 48 * 4)

        let red = try ImageReader.decode(ImageFixtures.redJPEG)
        try #require(red.width == 33 && red.height == 17, "\(red.width)x\(red.height)")
        // (The fixture's own bottom-right 3x2 corner carries chroma edge artefacts; the ffmpeg CLI shows them too.)
        for (x, y) in [(0, 0), (16, 8), (32, 0), (0, 16), (28, 16)] {
            let p = red.pixel(x, y)
            #expect(p[0] >= 245 && p[1] <= 10 && p[2] <= 10 && p[3] == 255, "\(p)")
        }
        let gray = try ImageReader.decode(ImageFixtures.grayJPEG)
        try #require(gray.width == 16 && gray.height == 16)
        let g = gray.pixel(8, 8)
        #expect(abs(Int(g[0]) - 128) <= 2 && g[0] == g[1] && g[1] == g[2] && g[3] == 255, "\(g)")
    }

    @Test func webpDecodesLossyLosslessAndAlpha() throws {
        let blue = try ImageReader.decode(ImageFixtures.blueWebP)
        try #require(blue.width == 40 && blue.height == 30)
        let b = blue.pixel(20, 15)
        #expect(b[0] <= 10 && b[1] <= 10 && b[2] >= 245 && b[3] == 255, "\(b)")

        let testsrc = try ImageReader.decode(ImageFixtures.testsrcWebP)
        try #require(testsrc.width == 64 && testsrc.height == 48)

        let green = try ImageReader.decode(ImageFixtures.greenAlphaLosslessWebP)
        try #require(green.width == 20 && green.height == 10)
        let gp = green.pixel(3, 4)
        #expect(gp[0] == 0 && gp[1] == 255 && gp[2] == 0 && (127...128).contains(gp[3]), "\(gp)")

        let yellow = try ImageReader.decode(ImageFixtures.yellowAlphaLossyWebP)
        try #require(yellow.width == 24 && yellow.height == 12)
        let yp = yellow.pixel(12, 6)
        #expect(yp[0] >= 240 && yp[1] >= 240 && yp[2] <= 15 && abs(Int(yp[3]) - 64) <= 2, "\(yp)")
    }

    @Test func jpegAndWebPHeadersAreCheckedAgainstThePixelLimit() throws {
        let small = ImageLimits(maxPixels: 100)
        for data in [ImageFixtures.redJPEG, ImageFixtures.blueWebP, ImageFixtures.greenAlphaLosslessWebP] {
            let error = #expect(throws: ImageError.self) { try ImageReader.decode(data, limits: small) }
            #expect(error?.kind == .tooManyPixels)
        }
        // A JPEG whose frame header claims 60000x60000 is refused from the header.
        var jpeg = ImageFixtures.redJPEG
        let sof = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])
        #expect(try ImageReader.info(jpeg).width == 60000)
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode(jpeg) })?.kind == .tooManyPixels)
    }

    @Test func truncatedAndCorruptedJPEGAndWebPOnlyThrowImageErrors() throws {
        for data in [ImageFixtures.testsrcJPEG, ImageFixtures.testsrcWebP, ImageFixtures.yellowAlphaLossyWebP] {
            for length in stride(from: 0, to: data.count, by: max(1, data.count / 97)) {
                #expect(untypedFailure { _ = try ImageReader.decode(Array(data.prefix(length))) } == nil)
            }
            var rng = SeededGenerator(seed: UInt64(data.count))
            for _ in 0..<100 {
                var bytes = data
                for _ in 0..<3 { bytes[Int.random(in: 12..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                #expect(untypedFailure { _ = try ImageReader.decode(bytes) } == nil)
            }
        }
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode(Array(ImageFixtures.redJPEG.prefix(20))) })?.kind == .truncated)
        #expect((#expect(throws: ImageError.self) { try ImageReader.decode(Array(ImageFixtures.blueWebP.prefix(16))) })?.kind == .truncated)
    }

    @Test func encodeToJPEGAndReadBack() throws {
        let image = gradient(width: 37, height: 21, alpha: 255)
        let jpeg = try ImageWriter.encode(image, as: .jpeg, quality: 95)
        #expect(ImageFormat.detect(jpeg) == .jpeg)
        let back = try ImageReader.decode(jpeg)
        try #require(back.width == 37 && back.height == 21)
        #expect(meanAbsoluteDifference(image, back) < 4)

        let small = try ImageWriter.encode(image, as: .jpeg, quality: 5)
        #expect(small.count < jpeg.count)
    }

    @Test func jpegFlattensTransparencyOntoWhite() throws {
        let clear = RGBAImage(width: 16, height: 16, fill: (0, 0, 0, 0))
        let back = try ImageReader.decode(try ImageWriter.encode(clear, as: .jpeg))
        #expect(back.pixel(8, 8).allSatisfy { $0 >= 250 })
    }

    @Test func encodeToWebPKeepsAlphaAndReadsBack() throws {
        let image = gradient(width: 30, height: 20, alpha: 200)
        let webp = try ImageWriter.encode(image, as: .webp, quality: 90)
        #expect(ImageFormat.detect(webp) == .webp)
        #expect(try ImageReader.info(webp) == ImageInfo(format: .webp, width: 30, height: 20, hasAlpha: true))
        let back = try ImageReader.decode(webp)
        try #require(back.width == 30 && back.height == 20)
        #expect(meanAbsoluteDifference(image, back) < 6)
        #expect(abs(Int(back.pixel(10, 10)[3]) - 200) <= 2)

        let opaque = try ImageWriter.encode(gradient(width: 30, height: 20, alpha: 255), as: .webp)
        #expect(try ImageReader.info(opaque).hasAlpha == false)
    }

    @Test func convertPassesThroughWhenNothingChanges() throws {
        let png = try ImageWriter.encode(gradient(width: 8, height: 8, alpha: 255), as: .png)
        #expect(try ImageWriter.convert(png, to: .png) == png)
        #expect(try ImageWriter.convert(png, to: .png, quality: 50) == png)
        #expect(try ImageWriter.convert(ImageFixtures.redJPEG, to: .jpeg) == ImageFixtures.redJPEG)
        #expect(try ImageWriter.convert(ImageFixtures.redJPEG, to: .jpeg, quality: 50) != ImageFixtures.redJPEG)
    }

    @Test func convertBetweenAllFormats() throws {
        let sources = [ImageFixtures.testsrcJPEG, ImageFixtures.testsrcWebP,
                       try ImageWriter.encode(gradient(width: 64, height: 48, alpha: 255), as: .png)]
        for source in sources {
            for target in ImageFormat.allCases {
                let out = try ImageWriter.convert(source, to: target, quality: 80)
                #expect(ImageFormat.detect(out) == target)
                let info = try ImageReader.info(out)
                #expect(info.width == 64 && info.height == 48)
            }
        }
        let png = try ImageWriter.convert(ImageFixtures.greenAlphaLosslessWebP, to: .png)
        let decoded = try ImageReader.decode(png)
        #expect(decoded.pixel(0, 0) == (try ImageReader.decode(ImageFixtures.greenAlphaLosslessWebP)).pixel(0, 0))
    }

    @Test func invalidArgumentsAreRejected() throws {
        let image = RGBAImage(width: 2, height: 2, fill: (1, 2, 3, 255))
        #expect((#expect(throws: ImageError.self) { try ImageWriter.encode(image, as: .jpeg, quality: 101) })?.kind == .invalidArgument)
        #expect((#expect(throws: ImageError.self) { try ImageWriter.encode(image, as: .webp, quality: -1) })?.kind == .invalidArgument)
        let wrong = RGBAImage(width: 3, height: 2, pixels: image.pixels)
        for format in ImageFormat.allCases {
            #expect((#expect(throws: ImageError.self) { try ImageWriter.encode(wrong, as: format) })?.kind == .invalidArgument)
        }
        #expect((#expect(throws: ImageError.self) { try ImageWriter.encode(RGBAImage(width: 0, height: 0, pixels: []), as: .png) })?.kind == .invalidArgument)
    }

    // MARK: - Helpers

    func gradient(width: Int, height: Int, alpha: UInt8) -> RGBAImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), 128, alpha]
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    func meanAbsoluteDifference(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        var sum = 0
        for i in a.pixels.indices { sum += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(sum) / Double(a.pixels.count)
    }
}
