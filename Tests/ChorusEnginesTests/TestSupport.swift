import Foundation
import Testing
@testable import ChorusEngines

/// Everything a finished synthesis produced.
struct Synthesis {
    var samples: [Int16]
    var chunks: Int
    var seconds: Double { Double(samples.count) / Double(EspeakEngine.sampleRate) }
}

func synthesize(_ engine: EspeakEngine, _ text: String, voice: String = "alloy", speed: Double = 1.0,
                language: String? = nil) async throws -> Synthesis {
    let preset = try #require(VoicePresets.builtIn.preset(named: voice))
    var result = Synthesis(samples: [], chunks: 0)
    for try await chunk in engine.synthesize(SpeechRequest(text: text, voice: preset, speed: speed, language: language)) {
        result.samples += chunk
        result.chunks += 1
    }
    return result
}

/// 16 kHz s16le mono fixture made with the espeak-ng CLI and sox:
/// "hello world this is a test" (0.3 s lead, 1.0 s pause), "the quick brown fox jumps over the lazy dog" (0.3 s tail).
func fixtureSamples(_ name: String = "two-sentences-16k-s16le.raw") throws -> [Int16] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: Int16.self)) }
    }
}

/// A long English text for streaming and cancellation tests.
let longText = String(repeating: """
    The gateway speaks with a local voice when no provider is configured. It streams the audio as soon as the \
    first words are ready, so a client hears the beginning of a long answer while the rest is still being made. \
    
    """, count: 20)


/// A few coarse, cheap features of a clip. espeak-ng's output for the same request differs slightly from call
/// to call (its flutter and noise generators carry state from one utterance to the next: up to 3% in length,
/// measured), so tests compare these features instead of raw samples.
struct VoiceFingerprint: CustomStringConvertible {
    var seconds: Double
    /// Fraction of adjacent samples that change sign: tracks brightness (formants, pitch).
    var zeroCrossingRate: Double
    /// Median fundamental frequency of the voiced 20 ms frames (normalised autocorrelation, 60–400 Hz,
    /// on the signal halved to 11025 Hz; frames with at least a quarter of the loudest frame's energy).
    var pitch: Double

    init(_ samples: [Int16], sampleRate: Int = EspeakEngine.sampleRate) {
        seconds = Double(samples.count) / Double(sampleRate)
        var crossings = 0
        for index in samples.indices.dropFirst() where (samples[index] < 0) != (samples[index - 1] < 0) {
            crossings += 1
        }
        zeroCrossingRate = samples.count > 1 ? Double(crossings) / Double(samples.count - 1) : 0

        let rate = sampleRate / 2
        let half = (0..<(samples.count / 2)).map { (Double(samples[2 * $0]) + Double(samples[2 * $0 + 1])) / 2 }
        let window = rate / 50
        let lags = (rate / 400)...(rate / 60)
        var pitches: [Double] = []
        half.withUnsafeBufferPointer { x in
            func dot(_ a: Int, _ b: Int) -> Double {
                var sum = 0.0
                for i in 0..<window { sum += x[a + i] * x[b + i] }
                return sum
            }
            let starts = Array(stride(from: 0, to: max(0, x.count - window - lags.upperBound), by: window))
            let energies = starts.map { dot($0, $0) }
            let loudest = energies.max() ?? 0
            for (start, energy) in zip(starts, energies) where energy >= loudest / 4 && energy > 0 {
                var best = (lag: 0, score: -1.0)
                for lag in lags {
                    let score = dot(start, start + lag) / (energy * dot(start + lag, start + lag) + 1e-9).squareRoot()
                    if score > best.score { best = (lag, score) }
                }
                if best.score > 0.5 { pitches.append(Double(rate) / Double(best.lag)) }
            }
        }
        pitches.sort()
        pitch = pitches.isEmpty ? 0 : pitches[pitches.count / 2]
    }

    private static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a), abs(b), 1e-9)
    }

    /// Close enough to be the same request spoken twice. espeak's output for the same request varies with
    /// what it spoke before (seen: 4.0% in length and 4.7% in zero-crossing rate for alloy in a CI run, and for
    /// variants with flutter like f1 8% in this pitch estimate), so this is loose.
    func matches(_ other: VoiceFingerprint, pitchTolerance: Double = 0.12) -> Bool {
        Self.relativeDifference(seconds, other.seconds) < 0.08
            && Self.relativeDifference(zeroCrossingRate, other.zeroCrossingRate) < 0.08
            && Self.relativeDifference(pitch, other.pitch) < pitchTolerance
    }

    /// Clearly a different voice (or text, or language).
    func differs(from other: VoiceFingerprint) -> Bool {
        Self.relativeDifference(seconds, other.seconds) > 0.04
            || Self.relativeDifference(zeroCrossingRate, other.zeroCrossingRate) > 0.06
            || Self.relativeDifference(pitch, other.pitch) > 0.08
    }

    var description: String {
        String(format: "%.3f s, zcr %.4f, f0 %.1f Hz", seconds, zeroCrossingRate, pitch)
    }
}
