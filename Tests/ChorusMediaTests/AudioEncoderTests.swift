import Foundation
import Testing

@testable import ChorusMedia

@Suite("AudioEncoder", .timeLimit(.minutes(1)))
struct AudioEncoderTests {
    static let expectedCodec: [AudioFormat: String] = [
        .mp3: "mp3", .opus: "opus", .aac: "aac", .flac: "flac", .wav: "pcm_s16le", .pcm: "pcm_s16le",
    ]

    @Test(arguments: AudioFormat.allCases)
    func encodesFormatThatFFprobeAccepts(format: AudioFormat) throws {
        let speech = try AudioFixtures.speech()
        let encoded = try AudioEncoder.encode(speech, to: format, sampleRate: 24000, bitrate: nil)
        let rawRate = format == .pcm ? 24000 : nil
        let probe = try AudioFixtures.ffprobe(encoded, extension: format.fileExtension, rawPCMRate: rawRate)
        #expect(probe["codec_name"] == Self.expectedCodec[format])
        #expect(probe["sample_rate"] == (format == .opus ? "48000" : "24000"))
        #expect(probe["channels"] == "1")
        let duration = try #require(probe["duration"].flatMap(Double.init))
        #expect(abs(duration - speech.duration) <= 0.1, "ffprobe says \(duration) s for \(speech.duration) s")
        let decoded = try AudioFixtures.ffmpegDecodedDuration(encoded, extension: format.fileExtension, rawPCMRate: rawRate)
        #expect(abs(decoded - speech.duration) <= 0.1, "ffmpeg decodes \(decoded) s")
    }

    @Test(arguments: AudioFormat.allCases)
    func encodedFileDecodesBackToTheSameLength(format: AudioFormat) throws {
        guard format != .pcm else { return }
        let speech = try AudioFixtures.speech()
        let encoded = try AudioEncoder.encode(speech, to: format, sampleRate: 24000, bitrate: nil)
        let decoded = try AudioDecoder.decode(encoded, sampleRate: 24000, limits: AudioLimits())
        #expect(abs(decoded.duration - speech.duration) <= 0.1, "\(decoded.duration) s vs \(speech.duration) s")
    }

    @Test func wavHeaderCarriesExactSizes() throws {
        let pcm = PCMAudio(samples: [Int16](repeating: 100, count: 2400), sampleRate: 24000)
        let wav = try AudioEncoder.encode(pcm, to: .wav, sampleRate: 24000, bitrate: nil)
        #expect(wav.count == 44 + 4800)
        #expect(Array(wav[40..<44]) == [0xC0, 0x12, 0, 0])
        #expect(Array(wav[4..<8]) == [0xE4, 0x12, 0, 0])
    }

    @Test func pcmIsRawLittleEndianAtTheRequestedRate() throws {
        let pcm = PCMAudio(samples: [1, -2, 300], sampleRate: 24000)
        let raw = try AudioEncoder.encode(pcm, to: .pcm, sampleRate: 24000, bitrate: nil)
        #expect(raw == [1, 0, 0xFE, 0xFF, 0x2C, 0x01])
    }

    @Test func resamplesEspeakRateTo24k() throws {
        let espeak = try AudioDecoder.decode(try AudioFixtures.bytes("speech22k.wav"), sampleRate: nil, limits: AudioLimits())
        #expect(espeak.sampleRate == 22050)
        let wav = try AudioEncoder.encode(espeak, to: .wav, sampleRate: 24000, bitrate: nil)
        let back = try AudioDecoder.decode(wav, sampleRate: nil, limits: AudioLimits())
        #expect(back.sampleRate == 24000)
        #expect(abs(back.duration - espeak.duration) < 0.01)
    }

    @Test func usesTheNearestRateAndBitrateTheCodecTakes() throws {
        let pcm = PCMAudio(samples: [Int16](repeating: 0, count: 24000), sampleRate: 24000)
        let opus = try AudioEncoder.encode(pcm, to: .opus, sampleRate: 44100, bitrate: 320_000)
        #expect(try AudioFixtures.ffprobe(opus, extension: "opus")["codec_name"] == "opus")
        let mp3 = try AudioEncoder.encode(pcm, to: .mp3, sampleRate: 96000, bitrate: nil)
        #expect(try AudioFixtures.ffprobe(mp3, extension: "mp3")["sample_rate"] == "48000")
        #expect(try StreamingEncoder(format: .opus, inputRate: 22050, outputRate: 22050).outputSampleRate == 24000)
        #expect(try StreamingEncoder(format: .flac, inputRate: 22050, outputRate: 22050).outputSampleRate == 22050)
    }

    @Test func rejectsOutOfRangeParameters() {
        let pcm = PCMAudio(samples: [0, 0], sampleRate: 24000)
        expectAudioError(.invalidArgument) { _ = try AudioEncoder.encode(pcm, to: .mp3, sampleRate: 100, bitrate: nil) }
        expectAudioError(.invalidArgument) { _ = try AudioEncoder.encode(pcm, to: .mp3, sampleRate: 24000, bitrate: 5) }
        expectAudioError(.invalidArgument) {
            _ = try AudioEncoder.encode(PCMAudio(samples: [0], sampleRate: 0), to: .wav, sampleRate: 24000, bitrate: nil)
        }
    }
}
