import CChorusShims
import CFFmpeg

/// Collects any input as mono signed 16-bit samples at one rate (the first block's rate unless given).
final class PCMCollector: SampleSink {
    private(set) var samples: [Int16] = []
    private(set) var rate: Int?
    private var resampler: Resampler?

    /// - Parameter maxSeconds: fails with `tooLong` once the output passes this length.
    init(rate: Int?, maxSeconds: Double?) {
        self.rate = rate
        self.maxSeconds = maxSeconds
    }

    private let maxSeconds: Double?

    func write(_ planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int, spec: SampleSpec) throws {
        let outputRate = rate ?? spec.rate
        rate = outputRate
        if resampler?.input != spec {
            try flushResampler()
            resampler = try Resampler(input: spec, output: .mono16(rate: outputRate))
        }
        try resampler?.process(planes, count: count) { pointer, written in try append(pointer, written) }
    }

    /// Drains the resampler and returns the audio.
    func finish() throws -> PCMAudio {
        try flushResampler()
        return PCMAudio(samples: samples, sampleRate: rate ?? 0)
    }

    private func flushResampler() throws {
        guard let resampler else { return }
        try resampler.flush { pointer, written in try append(pointer, written) }
        self.resampler = nil
    }

    private func append(_ pointer: UnsafePointer<UInt8>, _ count: Int) throws {
        let start = samples.count
        samples.append(contentsOf: repeatElement(0, count: count))
        samples.withUnsafeMutableBytes { destination in
            destination.baseAddress?.advanced(by: start * 2).copyMemory(from: pointer, byteCount: count * 2)
        }
        if let maxSeconds, let rate, Double(samples.count) > (maxSeconds + 0.1) * Double(rate) {
            throw AudioError.tooLong("audio is longer than \(DemuxDecoder.seconds(maxSeconds))")
        }
    }
}
