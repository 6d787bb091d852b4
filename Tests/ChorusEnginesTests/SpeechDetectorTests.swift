import Foundation
import Testing
@testable import ChorusEngines

@Suite struct SpeechDetectorTests {
    let rate = 16000

    func tone(seconds: Double, amplitude: Double = 8000) -> [Int16] {
        let step = 2 * Double.pi * 220 / Double(rate)
        return (0..<Int(seconds * Double(rate))).map { index -> Int16 in Int16(amplitude * sin(Double(index) * step)) }
    }

    func silence(seconds: Double) -> [Int16] { [Int16](repeating: 0, count: Int(seconds * Double(rate))) }

    @Test func digitalSilenceHasNoRegions() {
        #expect(SpeechDetector().regions(in: silence(seconds: 3)).isEmpty)
        #expect(SpeechDetector().regions(in: []).isEmpty)
    }

    @Test func soundBetweenSilencesIsOneRegionWithPadding() throws {
        let samples = silence(seconds: 1) + tone(seconds: 1) + silence(seconds: 1)
        let regions = SpeechDetector().regions(in: samples)
        let region = try #require(regions.first)
        #expect(regions.count == 1)
        #expect(region.lowerBound == rate * 3 / 4)  // 0.25 s padding
        #expect(region.upperBound == rate * 9 / 4)
    }

    @Test func shortGapsMergeAndLongPausesSplit() {
        let samples = tone(seconds: 1) + silence(seconds: 0.3) + tone(seconds: 1) + silence(seconds: 1) + tone(seconds: 1)
        let regions = SpeechDetector().regions(in: samples)
        #expect(regions.count == 2)
        #expect(regions[0].upperBound <= regions[1].lowerBound)
        #expect(regions[0].lowerBound == 0 && regions[1].upperBound == samples.count)
    }

    @Test func clicksAreIgnored() {
        var samples = silence(seconds: 2)
        for index in 16000..<16300 { samples[index] = 20000 }  // ~19 ms
        #expect(SpeechDetector().regions(in: samples).isEmpty)
    }

    @Test func longSpeechIsCutIntoBoundedRegions() {
        // 70 s of tone with a quiet dip every 5 s (shorter than the 0.5 s pause that would split it).
        var samples: [Int16] = []
        for _ in 0..<14 { samples += tone(seconds: 4.8) + tone(seconds: 0.2, amplitude: 300) }
        let regions = SpeechDetector().regions(in: samples)
        #expect(regions.count >= 3)
        #expect(regions.allSatisfy { $0.count <= 30 * rate })
        #expect(regions.first?.lowerBound == 0 && regions.last?.upperBound == samples.count)
        for (a, b) in zip(regions, regions.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
    }
}
