import NIOConcurrencyHelpers

/// Encodes mono s16 PCM pushed in pieces (embedded TTS output) to `format`, returning encoded bytes
/// as soon as the encoder emits them. Calls block while they encode, so make them off the event
/// loops; calls from several threads are serialised by a lock, which makes the class `Sendable`.
public final class StreamingEncoder: @unchecked Sendable {
    public let format: AudioFormat
    /// The rate of the encoded audio (the requested rate, or the codec's nearest supported one).
    public let outputSampleRate: Int
    /// Seconds of audio fed so far.
    public var secondsEncoded: Double { lock.withLock { pipeline.inputSeconds } }

    private let lock = NIOLock()
    private let pipeline: EncoderPipeline
    private let inputRate: Int
    private var failure: AudioError?

    public init(format: AudioFormat, inputRate: Int, outputRate: Int, bitrate: Int? = nil) throws {
        guard (1000...384_000).contains(inputRate) else {
            throw AudioError.invalidArgument("input sample rate must be between 1000 and 384000 Hz, not \(inputRate)")
        }
        self.format = format
        self.inputRate = inputRate
        self.pipeline = try EncoderPipeline(format: format, sampleRate: outputRate, bitrate: bitrate, streaming: true)
        self.outputSampleRate = pipeline.outputRate
    }

    /// Encodes `samples` (mono, at the input rate); returns the bytes ready so far (may be empty).
    public func feed(_ samples: [Int16]) throws -> [UInt8] {
        try guarded {
            try samples.withUnsafeBufferPointer { try pipeline.write(mono16: $0, rate: inputRate) }
            return try pipeline.takeOutput()
        }
    }

    /// Flushes the encoder and the container; returns the last bytes.
    public func finish() throws -> [UInt8] {
        try guarded { try pipeline.finish() }
    }

    private func guarded(_ body: () throws -> [UInt8]) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        do {
            return try body()
        } catch {
            let failure = error as? AudioError ?? .encoderFailed("\(error)")
            self.failure = failure
            throw failure
        }
    }
}
