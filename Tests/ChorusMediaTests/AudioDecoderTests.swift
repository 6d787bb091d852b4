import Foundation
import Testing

@testable import ChorusMedia

@Suite("AudioDecoder", .timeLimit(.minutes(1)))
struct AudioDecoderTests {
    @Test(arguments: AudioFixtures.toneFiles)
    func decodesContainerToItsDurationAtTheSourceRate(file: String) throws {
        let pcm = try AudioDecoder.decode(try AudioFixtures.bytes(file), sampleRate: nil, limits: AudioLimits())
        #expect(pcm.sampleRate == 48000)
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05, "decoded \(pcm.duration) s")
        let peak = pcm.samples.map { abs(Int($0)) }.max() ?? 0
        #expect(peak > 1000, "the tone is audible after downmixing")
    }

    @Test(arguments: AudioFixtures.toneFiles)
    func decodesContainerResampledTo16kMono(file: String) throws {
        let pcm = try AudioDecoder.decode(try AudioFixtures.bytes(file), sampleRate: 16000, limits: AudioLimits())
        #expect(pcm.sampleRate == 16000)
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05, "decoded \(pcm.duration) s")
    }

    /// The in-place API reads exactly the bytes it is given: the file sits between unrelated bytes in a larger
    /// buffer (as an upload does inside a request body) and decodes and probes like the array copy of it.
    @Test(arguments: ["tone.wav", "tone.mp3", "tone.m4a", "tone-opus.ogg"])
    func decodingInPlaceFromAWindowOfALargerBufferMatchesTheArrayAPI(file: String) throws {
        let bytes = try AudioFixtures.bytes(file)
        let padded = [UInt8](repeating: 0xAB, count: 1000) + bytes + [UInt8](repeating: 0xCD, count: 777)
        let (pcm, info) = try padded.withUnsafeBytes { whole in
            let window = UnsafeRawBufferPointer(rebasing: whole[1000..<(1000 + bytes.count)])
            return (try AudioDecoder.decode(window, sampleRate: 16000), try AudioDecoder.probe(window))
        }
        let reference = try AudioDecoder.decode(bytes, sampleRate: 16000)
        #expect(pcm.samples == reference.samples, "\(file)")
        #expect(info.codec == (try AudioDecoder.probe(bytes)).codec)
        #expect(abs((info.duration ?? 0) - AudioFixtures.toneDuration) <= 0.06, "\(file): \(info.duration ?? 0) s")
    }

    /// The streaming API hands over exactly the samples the collecting one returns, in chunks, and counts them; the
    /// duration limit still applies to what it hands over.
    @Test(arguments: ["tone.wav", "tone.mp3", "tone-opus.ogg"])
    func decodingToAnOutputGivesTheSameSamplesAsCollecting(file: String) throws {
        let bytes = try AudioFixtures.bytes(file)
        var streamed: [Int16] = []
        var chunks = 0
        let result = try bytes.withUnsafeBytes { data in
            try AudioDecoder.decode(data, sampleRate: 16000) { chunk in
                streamed.append(contentsOf: chunk.bindMemory(to: Int16.self))
                chunks += 1
            }
        }
        let reference = try AudioDecoder.decode(bytes, sampleRate: 16000)
        #expect(result.sampleRate == 16000 && result.samples == reference.samples.count)
        #expect(streamed == reference.samples, "\(file)")
        #expect(chunks > 1, "handed over as produced, not once at the end")
        #expect(throws: AudioError.self) {
            try bytes.withUnsafeBytes { data in
                _ = try AudioDecoder.decode(data, sampleRate: 16000, limits: AudioLimits(maxDurationSeconds: 0.2)) { _ in }
            }
        }
    }

    @Test func probeNamesContainerCodecAndDurationWithoutDecoding() throws {
        let expected: [String: (container: String, codec: String)] = [
            "tone.wav": ("wav", "pcm_s16le"), "tone.mp3": ("mp3", "mp3"), "tone-opus.ogg": ("ogg", "opus"),
            "tone-vorbis.ogg": ("ogg", "vorbis"), "tone.flac": ("flac", "flac"), "tone.m4a": ("mp4", "aac"),
            "tone.webm": ("matroska", "opus"), "tone.aac": ("aac", "aac"),
        ]
        for (file, names) in expected {
            let info = try AudioDecoder.probe(try AudioFixtures.bytes(file), limits: AudioLimits())
            #expect(info.container == names.container, "\(file)")
            #expect(info.codec == names.codec, "\(file)")
            #expect(info.sampleRate == 48000, "\(file)")
            #expect(info.channels == 2, "\(file)")
            let duration = try #require(info.duration, "\(file)")
            #expect(abs(duration - AudioFixtures.toneDuration) <= 0.06, "\(file): \(duration) s")
        }
    }

    @Test func decodesStreamedWAVWithUnknownSizes() throws {
        let speech = try AudioFixtures.speech()
        let streamed = try AudioEncoder.encode(speech, to: .wav, sampleRate: 24000, bitrate: nil)
        var header = Array(streamed)
        header.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        header.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let pcm = try AudioDecoder.decode(header, sampleRate: nil, limits: AudioLimits())
        #expect(pcm.samples == speech.samples)
        let info = try AudioDecoder.probe(header, limits: AudioLimits())
        #expect(abs((info.duration ?? 0) - speech.duration) < 0.001)
    }

    @Test func decodesFloatAnd24BitWAV() throws {
        for codec in ["pcm_f32le", "pcm_s24le", "pcm_u8"] {
            let file = try AudioFixtures.directory.appendingPathComponent("tone-\(codec).wav")
            try AudioFixtures.run("ffmpeg", ["-v", "error", "-y", "-i", AudioFixtures.directory.appendingPathComponent("tone.wav").path,
                                             "-c:a", codec, file.path])
            let pcm = try AudioDecoder.decode([UInt8](try Data(contentsOf: file)), sampleRate: 24000, limits: AudioLimits())
            #expect(pcm.sampleRate == 24000)
            #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.01, "\(codec)")
            let peak = pcm.samples.map { abs(Int($0)) }.max() ?? 0
            #expect(peak > 1000, "\(codec)")
        }
    }

    @Test func decodesWAVCodecsItDoesNotParseThroughLibavformat() throws {
        let pcm = try AudioDecoder.decode(try AudioFixtures.bytes("tone-alaw.wav"), sampleRate: nil, limits: AudioLimits())
        #expect(pcm.sampleRate == 8000)
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05)
    }
}

extension AudioDecoderTests {
    @Test func decodesMP3BehindAnID3TagLargerThanTheProbeWindow() throws {
        // ID3v2.4 header with a 400 kB tag (syncsafe size) of padding, then the MP3; probe window 256 kB.
        let limits = AudioLimits(probeBytes: 256 * 1024)
        let tagSize = 400_000
        let syncsafe: [UInt8] = [UInt8(tagSize >> 21 & 0x7F), UInt8(tagSize >> 14 & 0x7F), UInt8(tagSize >> 7 & 0x7F), UInt8(tagSize & 0x7F)]
        let tagged = Array("ID3".utf8) + [4, 0, 0] + syncsafe + [UInt8](repeating: 0, count: tagSize) + (try AudioFixtures.bytes("tone.mp3"))
        let pcm = try AudioDecoder.decode(tagged, sampleRate: nil, limits: limits)
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05)
        let streamed = try AudioStreamingTests.transcode(tagged, to: .wav, maxPiece: 65536, limits: limits)
        #expect(streamed.output.count > 44 + 24000 * 2 * 2)
    }
}

extension AudioDecoderTests {
    @Test(arguments: ["video.mp4", "video.webm"])
    func decodesTheAudioTrackOfAVideoUpload(file: String) throws {
        let bytes = try AudioFixtures.bytes(file)
        let pcm = try AudioDecoder.decode(bytes, sampleRate: 16000, limits: AudioLimits())
        #expect(pcm.sampleRate == 16000)
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05, "decoded \(pcm.duration) s")
        let info = try AudioDecoder.probe(bytes, limits: AudioLimits())
        #expect(info.codec == (file.hasSuffix("mp4") ? "aac" : "opus"))
        #expect(info.channels == 1)
    }
}
