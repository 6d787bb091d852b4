/// Mono signed 16-bit PCM in memory.
public struct PCMAudio: Sendable, Hashable {
    /// Samples, one channel.
    public var samples: [Int16]
    /// Samples per second.
    public var sampleRate: Int

    public init(samples: [Int16], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds (0 when the sample rate is not positive).
    public var duration: Double {
        sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0
    }
}
