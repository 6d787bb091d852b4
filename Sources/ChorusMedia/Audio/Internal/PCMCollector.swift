import CMediaShims
import CFFmpeg

/// Collects any input as mono signed 16-bit samples at one rate (the first block's rate unless given).
///
/// Samples gather in a raw buffer grown by doubling and are copied into an array once at the
/// end: appending to `[Int16]` element by element is slow in unoptimised builds.
final class PCMCollector: SampleSink {
    private(set) var rate: Int?
    private var resampler: Resampler?
    private let maxSeconds: Double?
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0 // samples
    private(set) var count = 0 // samples

    /// When set, samples go to it as they are produced (native byte order) instead of being kept.
    private let output: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Polled for every block of output (at most 8192 input samples: the resampler's slice), so a cancelled
    /// decode stops within one block whatever the container, WAV read in place included.
    private let cancellation: CancellationFlag?

    /// - Parameter maxSeconds: fails with `tooLong` once the output passes this length.
    /// - Parameter output: receives the samples in chunks instead of the collector keeping them (`finish` then
    ///   returns no samples, only the rate; `count` says how many went out).
    init(rate: Int?, maxSeconds: Double?, cancellation: CancellationFlag? = nil,
         output: ((UnsafeRawBufferPointer) throws -> Void)? = nil) {
        self.rate = rate
        self.maxSeconds = maxSeconds
        self.cancellation = cancellation
        self.output = output
    }

    deinit { storage?.deallocate() }

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
        let samples = [Int16](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress, let storage {
                UnsafeMutableRawPointer(base).copyMemory(from: storage, byteCount: count * 2)
            }
            initialized = count
        }
        return PCMAudio(samples: samples, sampleRate: rate ?? 0)
    }

    private func flushResampler() throws {
        guard let resampler else { return }
        try resampler.flush { pointer, written in try append(pointer, written) }
        self.resampler = nil
    }

    private func append(_ pointer: UnsafePointer<UInt8>, _ added: Int) throws {
        try cancellation?.check("decoding")
        if let output {
            try output(UnsafeRawBufferPointer(start: pointer, count: added * 2))
            count += added
            try checkLength()
            return
        }
        if count + added > capacity {
            let newCapacity = max(count + added, capacity * 2, 16_384)
            let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * 2, alignment: 16)
            if let storage {
                grown.copyMemory(from: storage, byteCount: count * 2)
                storage.deallocate()
            }
            storage = grown
            capacity = newCapacity
        }
        storage?.advanced(by: count * 2).copyMemory(from: pointer, byteCount: added * 2)
        count += added
        try checkLength()
    }

    private func checkLength() throws {
        if let maxSeconds, let rate, Double(count) > (maxSeconds + 0.1) * Double(rate) {
            throw AudioError.tooLong("audio is longer than \(DemuxDecoder.seconds(maxSeconds))")
        }
    }
}
