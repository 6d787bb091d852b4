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

    /// The 44-byte header of a canonical WAV file holding these samples (RIFF, one `fmt ` chunk: PCM, mono, 16-bit,
    /// then the `data` chunk's header). The samples follow as little-endian Int16. Nil when the data would not fit
    /// the format's 32-bit sizes.
    public func wavHeader() -> [UInt8]? {
        let dataBytes = samples.count * 2
        guard sampleRate > 0, sampleRate <= Int(UInt32.max / 2), dataBytes <= Int(UInt32.max) - 36 else { return nil }
        var header: [UInt8] = []
        header.reserveCapacity(44)
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { header.append(contentsOf: $0) } }
        func u16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { header.append(contentsOf: $0) } }
        header.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes)
        header.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16)
        u16(1); u16(1); u32(sampleRate); u32(sampleRate * 2); u16(2); u16(16)
        header.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        return header
    }
}
