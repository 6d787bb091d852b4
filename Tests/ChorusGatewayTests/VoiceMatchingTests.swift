import ChorusEngines
import ChorusMedia
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// The embedded engine speaks stored and inline voice samples with the espeak-ng voice closest to them (voice
/// matching): the answer's pitch follows the sample's.
@Suite(.timeLimit(.minutes(2))) struct VoiceMatchingTests {
    static let line = "This is what the matched voice sounds like when it reads a longer sentence aloud."

    static func speak(_ client: any TestClientProtocol, voice: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey),
                                 body: ByteBuffer(string: #"{"model":"local-tts","input":"\#(line)","voice":\#(voice),"response_format":"wav"}"#))
    }

    static func pitch(of wav: ByteBuffer) throws -> Double {
        let pcm = try AudioDecoder.decode(Array(buffer: wav), sampleRate: SpeakerProfile.sampleRate)
        return try #require(SpeakerProfile.estimate(pcm.samples)).pitchHz
    }

    static func storeVoice(_ client: any TestClientProtocol, sample: [UInt8], filename: String) async throws -> String {
        let (headers, body) = VoiceLibraryTests.multipart(name: "Sample", sample: sample, filename: filename)
        let created = try await client.execute(uri: "/v1/audio/voices", method: .post, headers: headers, body: body)
        #expect(created.status == .ok, "\(String(buffer: created.body))")
        let json = try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any]
        return try #require(json?["id"] as? String)
    }

    @Test func storedVoicesOfALowAndAHighSpeakerAreSpokenLowAndHigh() async throws {
        try await withGateway { client, _, _ in
            var pitches: [String: (sample: Double, spoken: Double)] = [:]
            for preset in ["onyx", "shimmer"] {
                let sample = try await Self.speak(client, voice: "\"\(preset)\"")
                #expect(sample.status == .ok)
                let id = try await Self.storeVoice(client, sample: Array(buffer: sample.body), filename: "\(preset).wav")
                let spoken = try await Self.speak(client, voice: #"{"id":"\#(id)"}"#)
                #expect(spoken.status == .ok, "\(String(buffer: spoken.body))")
                pitches[preset] = (try Self.pitch(of: sample.body), try Self.pitch(of: spoken.body))
            }
            let low = try #require(pitches["onyx"]), high = try #require(pitches["shimmer"])
            for (sample, spoken) in [low, high] {
                #expect(abs(spoken - sample) / sample < 0.2, "sample \(sample) Hz, spoken \(spoken) Hz")
            }
            #expect(high.spoken > low.spoken * 2)
        }
    }

    @Test func recordedHumanSpeechAsAnInlineSampleIsMatched() async throws {
        let flac = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../samples/speech/sense-and-sensibility-0870.flac").standardized
        let sample = try Data(contentsOf: flac)
        try await withGateway { client, _, _ in
            let spoken = try await client.execute(uri: "/v1/audio/speech", method: .post, headers: bearer(masterKey), body: ByteBuffer(
                string: #"{"model":"local-tts","input":"\#(Self.line)","audio_sample":"\#(sample.base64EncodedString())","response_format":"wav"}"#))
            #expect(spoken.status == .ok, "\(String(buffer: spoken.body))")
            // The LibriVox reader speaks at ~100 Hz: a male voice in the same register, not espeak's default.
            let pitch = try Self.pitch(of: spoken.body)
            #expect(pitch > 80 && pitch < 130, "\(pitch) Hz")
        }
    }

    @Test func aSampleWithNoVoicedSpeechIsRefusedWithA400SayingWhy() async throws {
        try await withGateway { client, _, _ in
            let silence = try AudioEncoder.encode(PCMAudio(samples: [Int16](repeating: 0, count: 48000), sampleRate: 24000),
                                                  to: .wav, sampleRate: 24000, bitrate: nil)
            let id = try await Self.storeVoice(client, sample: silence, filename: "silence.wav")
            let refused = try await Self.speak(client, voice: #"{"id":"\#(id)"}"#)
            #expect(refused.status == .badRequest)
            #expect(try errorBody(refused).message.contains("no voiced speech"))
        }
    }
}
