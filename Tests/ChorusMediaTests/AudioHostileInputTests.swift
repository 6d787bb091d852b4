import Foundation
import Testing

@testable import ChorusMedia

@Suite("Hostile audio input", .timeLimit(.minutes(1)))
struct AudioHostileInputTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Decodes with ``AudioDecoder`` and with the streaming transcoder (in pieces); both must
    /// fail with `kind`.
    static func expectBothFail(_ kind: AudioError.Kind, _ input: [UInt8], limits: AudioLimits = AudioLimits(),
                               sourceLocation: SourceLocation = #_sourceLocation) {
        expectAudioError(kind, sourceLocation: sourceLocation) {
            _ = try AudioDecoder.decode(input, sampleRate: 16000, limits: limits)
        }
        expectAudioError(kind, sourceLocation: sourceLocation) {
            let transcoder = try StreamingTranscoder(output: .mp3, sampleRate: 24000, bitrate: nil, limits: limits)
            var offset = 0
            while offset < input.count {
                let end = min(offset + 4096, input.count)
                _ = try transcoder.feed(Array(input[offset..<end]))
                offset = end
            }
            _ = try transcoder.finish()
        }
    }

    @Test func emptyInputIsNotAudio() {
        Self.expectBothFail(.notAudio, [])
        expectAudioError(.notAudio) { _ = try AudioDecoder.probe([], limits: AudioLimits()) }
    }

    @Test func randomBytesAreNotAudio() {
        for seed in 1...8 as ClosedRange<UInt64> {
            Self.expectBothFail(.notAudio, Self.randomBytes(64 * 1024, seed: seed))
        }
        Self.expectBothFail(.notAudio, Self.randomBytes(7, seed: 99))
    }

    @Test func textIsNotAudio() {
        let text = Array(String(repeating: "The quick brown fox jumps over the lazy dog.\n", count: 200).utf8)
        Self.expectBothFail(.notAudio, text)
        let playlist = Array("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n".utf8)
        Self.expectBothFail(.notAudio, playlist)
        let concat = Array("ffconcat version 1.0\nfile /etc/passwd\n".utf8)
        Self.expectBothFail(.notAudio, concat)
    }

    @Test func imageIsNotAudio() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.randomBytes(4000, seed: 3)
        Self.expectBothFail(.notAudio, png)
    }

    @Test func truncatedWAVIsTruncated() throws {
        let wav = try AudioFixtures.bytes("tone.wav")
        Self.expectBothFail(.truncated, Array(wav.prefix(wav.count / 2)))
        Self.expectBothFail(.truncated, Array(wav.prefix(30)))
    }

    @Test func truncatedFLACIsTruncated() throws {
        let flac = try AudioFixtures.bytes("tone.flac")
        Self.expectBothFail(.truncated, Array(flac.prefix(flac.count / 2)))
    }

    @Test func truncatedM4AWithoutItsIndexFails() throws {
        let m4a = try AudioFixtures.bytes("tone.m4a")
        for kind in [AudioError.Kind.truncated] {
            Self.expectBothFail(kind, Array(m4a.prefix(m4a.count / 2)))
        }
    }

    @Test func truncatedCompressedStreamsDecodeWhatIsThereOrFailTyped() throws {
        for file in ["tone.mp3", "tone-opus.ogg", "tone-vorbis.ogg", "tone.webm", "tone.aac"] {
            let bytes = try AudioFixtures.bytes(file)
            for fraction in [0.5, 0.1] {
                let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
                let start = ContinuousClock.now
                do {
                    let pcm = try AudioDecoder.decode(cut, sampleRate: nil, limits: AudioLimits())
                    #expect(pcm.duration < AudioFixtures.toneDuration * (fraction + 0.15), "\(file)")
                } catch let error as AudioError {
                    #expect([.truncated, .corrupt, .notAudio].contains(error.kind), "\(file): \(error)")
                }
                #expect(ContinuousClock.now - start < .seconds(5))
            }
        }
    }

    @Test func hugeDeclaredWAVSizeIsRefusedBeforeDecoding() {
        // A 44-byte header declaring a 1 GiB data chunk, followed by a little audio.
        var header = Array("RIFF".utf8) + [0x24, 0, 0, 0x40] + Array("WAVEfmt ".utf8)
        header += [16, 0, 0, 0, 1, 0, 1, 0, 0xC0, 0x5D, 0, 0, 0x80, 0xBB, 0, 0, 2, 0, 16, 0]
        header += Array("data".utf8) + [0, 0, 0, 0x40]
        let input = header + [UInt8](repeating: 0, count: 48000)
        Self.expectBothFail(.tooLong, input)
        // Inside the duration limit, but the data is not there.
        Self.expectBothFail(.truncated, input, limits: AudioLimits(maxDurationSeconds: 100_000))
    }

    @Test func hostileWAVHeadersAreTyped() {
        let fmt: ([UInt8]) -> [UInt8] = { body in
            Array("RIFF".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("WAVEfmt ".utf8) + [UInt8(body.count), 0, 0, 0] + body
        }
        // Zero channels.
        let noChannels = fmt([1, 0, 0, 0, 0xC0, 0x5D, 0, 0, 0x80, 0xBB, 0, 0, 2, 0, 16, 0]) + Array("data".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + [0, 0]
        Self.expectBothFail(.corrupt, noChannels)
        // A chunk claiming 4 GiB before any data.
        let hugeChunk = Array("RIFF".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("WAVEjunk".utf8) + [0xF0, 0xFF, 0xFF, 0xFF]
            + [UInt8](repeating: 0, count: 2 * 1024 * 1024)
        Self.expectBothFail(.notAudio, hugeChunk)
    }

    @Test func overLongInputIsTooLong() throws {
        let limits = AudioLimits(maxDurationSeconds: 1)
        for file in ["tone.wav", "tone.mp3", "tone-opus.ogg", "tone.flac", "tone.m4a"] {
            Self.expectBothFail(.tooLong, try AudioFixtures.bytes(file), limits: limits)
        }
        // Streamed WAV states no length: the limit applies to what is decoded.
        let streamed = try AudioStreamingTests.streamedWAV(try AudioFixtures.speech())
        Self.expectBothFail(.tooLong, streamed, limits: limits)
    }

    @Test func oversizedInputIsTooLarge() throws {
        let limits = AudioLimits(maxInputBytes: 5_000)
        for file in ["tone.wav", "tone.mp3", "tone-opus.ogg"] {
            Self.expectBothFail(.tooLarge, try AudioFixtures.bytes(file), limits: limits)
        }
    }

    @Test func corruptedMiddleStillDecodesOrFailsTyped() throws {
        for file in AudioFixtures.toneFiles {
            var bytes = try AudioFixtures.bytes(file)
            var generator = SeededGenerator(seed: 42)
            let start = bytes.count / 3
            for index in start..<min(bytes.count, start + 2000) { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
            let begin = ContinuousClock.now
            do {
                _ = try AudioDecoder.decode(bytes, sampleRate: nil, limits: AudioLimits())
            } catch let error as AudioError {
                #expect([.truncated, .corrupt, .notAudio, .unsupported].contains(error.kind), "\(file): \(error)")
            }
            #expect(ContinuousClock.now - begin < .seconds(5), "\(file)")
        }
    }

    @Test func droppingATranscoderMidStreamStopsItsThread() throws {
        let mp3 = try AudioFixtures.bytes("speech.mp3")
        for _ in 0..<20 {
            let transcoder = try StreamingTranscoder(output: .opus, sampleRate: 24000, bitrate: nil, limits: AudioLimits())
            _ = try transcoder.feed(Array(mp3.prefix(mp3.count / 2)))
        }
        // Other tests may have a demuxer thread running right now, but not twenty.
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let demuxThreads = tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("chorus-demux")
        }
        #expect(demuxThreads.count < 10, "\(demuxThreads.count) demuxer threads still running")
    }
}

extension AudioHostileInputTests {
    @Test func absurdSampleRatesAreRefusedNotResampled() {
        // A streamed WAV at 1 Hz: resampling it to 16 kHz would need 16000 times its size.
        var header = Array("RIFF".utf8) + [0xFF, 0xFF, 0xFF, 0xFF] + Array("WAVEfmt ".utf8)
        header += [16, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 16, 0]
        header += Array("data".utf8) + [0xFF, 0xFF, 0xFF, 0xFF]
        Self.expectBothFail(.unsupported, header + [UInt8](repeating: 1, count: 200_000))
    }

    @Test func oneHugeBlockStopsAtTheDurationLimit() throws {
        // 20 s of streamed 8 kHz WAV handed over in one piece, limit 2 s: stops early.
        let pcm = PCMAudio(samples: [Int16](repeating: 100, count: 8000 * 20), sampleRate: 8000)
        let wav = try AudioStreamingTests.streamedWAV(pcm)
        let limits = AudioLimits(maxDurationSeconds: 2)
        expectAudioError(.tooLong) { _ = try AudioDecoder.decode(wav, sampleRate: 48000, limits: limits) }
        expectAudioError(.tooLong) {
            let transcoder = try StreamingTranscoder(output: .pcm, sampleRate: 48000, bitrate: nil, limits: limits)
            _ = try transcoder.feed(wav)
        }
    }
}

extension AudioHostileInputTests {
    static func maxResidentMegabytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }

    @Test func hugeMetadataChunkInANonPCMWAVNeverReachesFFmpeg() throws {
        // An a-law WAV whose LIST chunk claims 2 GB: libavformat would allocate chunks of that
        // size while reading it as INFO tags. The chunk is refused before libavformat sees it.
        let alaw = try AudioFixtures.bytes("tone-alaw.wav")
        let list = Array("LIST".utf8) + [0xF0, 0xFF, 0xFF, 0x7F] + Array("INFOISFT".utf8) + [0x04, 0, 0, 0] + Array("Lavf".utf8)
        let dataStart = try #require(AudioHostileInputTests.find(Array("data".utf8), in: alaw))
        let hostile = Array(alaw[..<dataStart]) + list + Array(alaw[dataStart...])
        let before = Self.maxResidentMegabytes()
        Self.expectBothFail(.notAudio, hostile)
        #expect(Self.maxResidentMegabytes() - before < 300)
        // With the LIST chunk well formed, the same file decodes through libavformat.
        let pcm = try AudioDecoder.decode(alaw, sampleRate: nil, limits: AudioLimits())
        #expect(abs(pcm.duration - AudioFixtures.toneDuration) <= 0.05)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
