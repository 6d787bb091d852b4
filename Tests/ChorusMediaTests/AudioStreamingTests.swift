import Foundation
import Testing

@testable import ChorusMedia

@Suite("Streaming transcoding", .timeLimit(.minutes(1)))
struct AudioStreamingTests {
    /// Feeds `input` in random pieces of 1…`maxPiece` bytes; returns the output, and the index of
    /// the piece after which the first output byte appeared.
    static func transcode(_ input: [UInt8], to format: AudioFormat, sampleRate: Int = 24000,
                          input kind: StreamingTranscoder.Input = .detect, maxPiece: Int = 2048,
                          seed: UInt64 = 1, limits: AudioLimits = AudioLimits()
    ) throws -> (output: [UInt8], firstOutputPiece: Int?, pieces: Int, seconds: Double) {
        let transcoder = try StreamingTranscoder(output: format, sampleRate: sampleRate, bitrate: nil,
                                                 limits: limits, input: kind)
        var generator = SeededGenerator(seed: seed)
        var output: [UInt8] = []
        var firstOutputPiece: Int?
        var offset = 0
        var piece = 0
        while offset < input.count {
            let size = min(Int.random(in: 1...maxPiece, using: &generator), input.count - offset)
            let chunk = try transcoder.feed(Array(input[offset..<(offset + size)]))
            if !chunk.isEmpty, firstOutputPiece == nil { firstOutputPiece = piece }
            output += chunk
            offset += size
            piece += 1
        }
        output += try transcoder.finish()
        return (output, firstOutputPiece, piece, transcoder.secondsEncoded)
    }

    static func streamedWAV(_ pcm: PCMAudio) throws -> [UInt8] {
        var wav = try AudioEncoder.encode(pcm, to: .wav, sampleRate: pcm.sampleRate, bitrate: nil)
        wav.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        wav.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        return wav
    }

    static func checkOutput(_ output: [UInt8], format: AudioFormat, duration expected: Double,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rawRate = format == .pcm ? 24000 : nil
        let probe = try AudioFixtures.ffprobe(output, extension: format.fileExtension, rawPCMRate: rawRate)
        #expect(probe["codec_name"] == AudioEncoderTests.expectedCodec[format], sourceLocation: sourceLocation)
        #expect(probe["channels"] == "1", sourceLocation: sourceLocation)
        #expect(probe["sample_rate"] == (format == .opus ? "48000" : "24000"), sourceLocation: sourceLocation)
        let decoded = try AudioFixtures.ffmpegDecodedDuration(output, extension: format.fileExtension, rawPCMRate: rawRate)
        #expect(abs(decoded - expected) <= 0.1, "ffmpeg decodes \(decoded) s, expected \(expected) s", sourceLocation: sourceLocation)
    }

    @Test(arguments: AudioFormat.allCases)
    func wavUpstreamIsTranscodedWhileItArrives(format: AudioFormat) throws {
        let speech = try AudioFixtures.speech()
        let wav = try Self.streamedWAV(speech)
        let result = try Self.transcode(wav, to: format)
        let firstOutputPiece = result.firstOutputPiece
        let first = try #require(firstOutputPiece, "no output before the input ended")
        #expect(first < result.pieces / 2, "first bytes after piece \(first) of \(result.pieces)")
        #expect(abs(result.seconds - speech.duration) < 0.01)
        try Self.checkOutput(result.output, format: format, duration: speech.duration)
    }

    @Test(arguments: ["speech.mp3", "speech-opus.ogg", "speech.m4a", "tone.webm", "tone.aac", "tone.flac", "tone-alaw.wav"])
    func containerUpstreamIsTranscodedWhileItArrives(file: String) throws {
        let input = try AudioFixtures.bytes(file)
        let expected = try AudioDecoder.decode(input, sampleRate: nil, limits: AudioLimits()).duration
        let result = try Self.transcode(input, to: .mp3, maxPiece: 1500)
        let firstOutputPiece = result.firstOutputPiece
        let first = try #require(firstOutputPiece, "no output before the input ended")
        if file != "speech.m4a" {
            // An mp4 with its index at the end can only be decoded once the index arrives.
            #expect(first < result.pieces / 2, "first bytes after piece \(first) of \(result.pieces)")
        }
        try Self.checkOutput(result.output, format: .mp3, duration: expected)
    }

    @Test func rawPCMUpstreamSplitMidSampleIsTranscoded() throws {
        let speech = try AudioFixtures.speech()
        let raw = try AudioEncoder.encode(speech, to: .pcm, sampleRate: 24000, bitrate: nil)
        let result = try Self.transcode(raw, to: .pcm, input: .pcm(sampleRate: 24000), maxPiece: 333)
        #expect(result.output == raw)
    }

    @Test func wavToPCMPassesSamplesThroughUnchanged() throws {
        let speech = try AudioFixtures.speech()
        let result = try Self.transcode(try Self.streamedWAV(speech), to: .pcm, maxPiece: 777, seed: 7)
        let expected = try AudioEncoder.encode(speech, to: .pcm, sampleRate: 24000, bitrate: nil)
        #expect(result.output == expected)
    }

    @Test func streamedWAVOutputHasUnknownSizesLikeOpenAI() throws {
        let speech = try AudioFixtures.speech()
        let result = try Self.transcode(try Self.streamedWAV(speech), to: .wav)
        #expect(Array(result.output[4..<8]) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(result.output[40..<44]) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(result.output.count == 44 + speech.samples.count * 2)
    }

    @Test func firstPieceOfAudioGivesOutputAtOnce() throws {
        let speech = try AudioFixtures.speech()
        let wav = try Self.streamedWAV(speech)
        for format in AudioFormat.allCases {
            let transcoder = try StreamingTranscoder(output: format, sampleRate: 24000, bitrate: nil, limits: AudioLimits())
            // 200 ms of audio plus the header.
            let start = ContinuousClock.now
            let first = try transcoder.feed(Array(wav[0..<(44 + 9600)]))
            let elapsed = ContinuousClock.now - start
            #expect(!first.isEmpty, "\(format)")
            #expect(elapsed < .milliseconds(200), "\(format): \(elapsed)")
        }
    }

    @Test(arguments: AudioFormat.allCases)
    func streamingEncoderTakesEspeakPCMAt22050(format: AudioFormat) throws {
        let espeak = try AudioDecoder.decode(try AudioFixtures.bytes("speech22k.wav"), sampleRate: nil, limits: AudioLimits())
        let encoder = try StreamingEncoder(format: format, inputRate: 22050, outputRate: 24000, bitrate: nil)
        var output: [UInt8] = []
        var chunksWithOutput = 0
        var offset = 0
        while offset < espeak.samples.count {
            let end = min(offset + 4410, espeak.samples.count)
            let chunk = try encoder.feed(Array(espeak.samples[offset..<end]))
            if !chunk.isEmpty { chunksWithOutput += 1 }
            output += chunk
            offset = end
        }
        output += try encoder.finish()
        #expect(chunksWithOutput > 5, "output arrives while feeding")
        #expect(abs(encoder.secondsEncoded - espeak.duration) < 0.001)
        try Self.checkOutput(output, format: format, duration: espeak.duration)
    }

    @Test func transcoderCanBeUsedFromOneThreadAfterAnother() async throws {
        let speech = try AudioFixtures.speech()
        let mp3 = try AudioEncoder.encode(speech, to: .mp3, sampleRate: 24000, bitrate: 64000)
        // Sendable: handed to detached tasks (as a thread pool would run it), one call at a time.
        let transcoder = try StreamingTranscoder(output: .opus, sampleRate: 24000, bitrate: nil, limits: AudioLimits())
        var output: [UInt8] = []
        var offset = 0
        while offset < mp3.count {
            let piece = Array(mp3[offset..<min(offset + 3000, mp3.count)])
            output += try await Task.detached { try transcoder.feed(piece) }.value
            offset += piece.count
        }
        output += try await Task.detached { try transcoder.finish() }.value
        try Self.checkOutput(output, format: .opus, duration: transcoder.secondsEncoded)
        #expect(abs(transcoder.secondsEncoded - speech.duration) < 0.1)
    }
}
