import Foundation
import Testing
@testable import ChorusEngines

@Suite struct PCMResamplerTests {
    static func tone(_ frequency: Double, rate: Int, seconds: Double) -> [Int16] {
        (0..<Int(Double(rate) * seconds)).map { Int16(10000 * sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// Zero crossings per second ÷ 2: the frequency of a pure tone.
    static func frequency(_ samples: [Int16], rate: Int) -> Double {
        var crossings = 0
        for i in 1..<samples.count where (samples[i - 1] < 0) != (samples[i] < 0) { crossings += 1 }
        return Double(crossings) / 2 / (Double(samples.count) / Double(rate))
    }

    @Test func aToneKeepsItsPitchAndLevelAcrossRates() {
        for (from, to) in [(22050, 24000), (24000, 16000), (16000, 24000)] {
            let output = PCMResampler.resample(Self.tone(440, rate: from, seconds: 1), from: from, to: to)
            #expect(abs(output.count - to) <= 1)
            #expect(abs(Self.frequency(output, rate: to) - 440) < 3, "\(from) → \(to)")
            let middle = output[output.count / 4..<output.count * 3 / 4]
            #expect((9500...10100).contains(Int(middle.max() ?? 0)), "\(from) → \(to): peak \(middle.max() ?? 0)")
        }
    }

    @Test func goingDownRemovesWhatTheLowerRateCannotHold() {
        // 10 kHz fits 24 kHz but not 16 kHz (Nyquist 8 kHz): it must not come back as a 6 kHz alias.
        let output = PCMResampler.resample(Self.tone(10000, rate: 24000, seconds: 0.5), from: 24000, to: 16000)
        let middle = output[output.count / 4..<output.count * 3 / 4]
        #expect((middle.map { abs(Int($0)) }.max() ?? 0) < 1500)
    }
}
