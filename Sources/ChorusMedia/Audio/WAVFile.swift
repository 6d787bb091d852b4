/// Canonical WAV files of mono 16-bit PCM, for callers that write the samples themselves.
public enum WAVFile {
    public static let headerSize = WAVHeader.size

    /// The 44-byte header for `sampleCount` samples at `sampleRate`; the samples follow as little-endian Int16.
    /// Nil when the data would not fit the format's 32-bit sizes or the rate is out of range.
    public static func header(sampleRate: Int, sampleCount: Int) -> [UInt8]? {
        let dataBytes = sampleCount * 2
        guard (1...384_000).contains(sampleRate), sampleCount >= 0,
              dataBytes <= Int(UInt32.max) - (WAVHeader.size - 8) else { return nil }
        return WAVHeader.make(sampleRate: sampleRate, dataBytes: dataBytes)
    }
}
