import Foundation

/// Finds the stretches of an audio clip worth decoding, by frame energy.
///
/// pocketsphinx's own voice activity detection (`-remove_silence yes`) shifts word times in the Debian
/// 5prealpha build (measured: +1.36 s after 1.5 s of leading silence), so Chorus turns it off and cuts the
/// audio itself: every region becomes one pocketsphinx utterance, decoded with its exact sample offset.
/// Long silences are not decoded at all (they cost as much CPU as speech), and a clip of digital silence
/// yields no region, hence an empty transcript.
///
/// Frames are 10 ms. A frame is speech when its energy is ``margin`` dB above the clip's noise floor (the
/// 10th percentile of frame energies, capped at ``maximumFloor`` so that a clip with no quiet part at all is
/// decoded whole) and above ``minimumLevel`` dB (re 1 LSB², so 30 dB ≈ −60 dBFS, 50 dB ≈ −40 dBFS).
/// Speech runs closer than ``minimumSilence`` are merged, each region is padded by ``padding`` on both sides,
/// regions with less than ``minimumSpeech`` of speech are dropped, and regions longer than ``maxRegion`` are
/// cut at their quietest frame so that no utterance grows without bound.
struct SpeechDetector: Sendable {
    var sampleRate = 16000
    var frameDuration = 0.010
    var margin = 10.0
    var minimumLevel = 30.0
    var maximumFloor = 50.0
    var minimumSilence = 0.5
    var padding = 0.25
    var minimumSpeech = 0.06
    var maxRegion = 30.0

    /// Sample ranges to decode, in order, not overlapping. `isCancelled` is asked every minute of audio (the scan
    /// of a 2-hour clip is seconds of CPU in a debug build); once it says yes the scan stops and returns no regions.
    func regions(in samples: [Int16], isCancelled: () -> Bool = { false }) -> [Range<Int>] {
        let frameLength = max(1, Int((Double(sampleRate) * frameDuration).rounded()))
        let frameCount = (samples.count + frameLength - 1) / frameLength
        guard frameCount > 0 else { return [] }

        guard let energies = frameEnergies(samples, frameLength: frameLength, frameCount: frameCount, isCancelled: isCancelled) else {
            return []
        }
        let sorted = energies.sorted()
        let floor = min(sorted[sorted.count / 10], maximumFloor)
        let threshold = max(floor + margin, minimumLevel)

        func frames(_ seconds: Double) -> Int { Int((seconds / frameDuration).rounded()) }
        let gapFrames = max(1, frames(minimumSilence))
        let padFrames = frames(padding)
        let minSpeechFrames = max(1, frames(minimumSpeech))
        let maxFrames = max(gapFrames * 2, frames(maxRegion))

        // Runs of speech frames, merged across gaps shorter than `minimumSilence`.
        var runs: [(start: Int, end: Int, speech: Int)] = []
        for (index, energy) in energies.enumerated() where energy > threshold {
            if let last = runs.last, index - last.end < gapFrames {
                runs[runs.count - 1].end = index + 1
                runs[runs.count - 1].speech += 1
            } else {
                runs.append((index, index + 1, 1))
            }
        }
        runs.removeAll { $0.speech < minSpeechFrames }

        var regions: [Range<Int>] = []
        for (index, run) in runs.enumerated() {
            // Pad, without reaching into the neighbours' padding.
            let previousEnd = index > 0 ? runs[index - 1].end : 0
            let nextStart = index + 1 < runs.count ? runs[index + 1].start : frameCount
            let start = index > 0 ? max(run.start - padFrames, (previousEnd + run.start) / 2) : max(0, run.start - padFrames)
            let end = index + 1 < runs.count ? min(run.end + padFrames, (run.end + nextStart) / 2) : min(frameCount, run.end + padFrames)
            regions.append(contentsOf: split(start..<end, energies: energies, maxFrames: maxFrames))
        }
        return regions.map { ($0.lowerBound * frameLength)..<min(samples.count, $0.upperBound * frameLength) }
    }

    /// Cuts a frame range longer than `maxFrames` at the quietest frame of its last third, repeatedly.
    private func split(_ range: Range<Int>, energies: [Double], maxFrames: Int) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        while range.upperBound - start > maxFrames {
            let window = (start + maxFrames * 2 / 3)..<(start + maxFrames)
            // The quietest 0.2 s neighbourhood, so a cut never lands in a short dip inside a word.
            func loudness(_ frame: Int) -> Double {
                energies[max(range.lowerBound, frame - 10)..<min(range.upperBound, frame + 11)].reduce(0, +)
            }
            let cut = window.min { loudness($0) < loudness($1) } ?? window.upperBound
            pieces.append(start..<cut)
            start = cut
        }
        pieces.append(start..<range.upperBound)
        return pieces
    }

    /// Mean energy per frame in dB re 1 LSB² (digital silence is 0 dB); nil when cancelled.
    private func frameEnergies(_ samples: [Int16], frameLength: Int, frameCount: Int, isCancelled: () -> Bool) -> [Double]? {
        let checkEvery = max(1, Int(60 / frameDuration))
        var energies = [Double](repeating: 0, count: frameCount)
        let completed = samples.withUnsafeBufferPointer { buffer -> Bool in
            for frame in 0..<frameCount {
                if frame % checkEvery == 0, isCancelled() { return false }
                let lower = frame * frameLength
                let upper = min(buffer.count, lower + frameLength)
                var sum = 0.0
                for index in lower..<upper {
                    let value = Double(buffer[index])
                    sum += value * value
                }
                energies[frame] = 10 * log10(sum / Double(upper - lower) + 1)
            }
            return true
        }
        return completed ? energies : nil
    }
}
