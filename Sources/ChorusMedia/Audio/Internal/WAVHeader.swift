/// Writes the 44-byte header of a 16-bit PCM RIFF/WAVE file.
enum WAVHeader {
    static let size = 44

    /// - Parameter dataBytes: the sample data size, or nil for a stream of unknown length, which
    ///   gets 0xFFFFFFFF in both size fields as OpenAI's streamed WAV has.
    static func make(sampleRate: Int, channels: Int = 1, bitsPerSample: Int = 16, dataBytes: Int?) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(size)
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        let blockAlign = channels * bitsPerSample / 8
        let dataSize = dataBytes.map { UInt32(clamping: $0) } ?? 0xFFFF_FFFF
        let riffSize = dataBytes.map { UInt32(clamping: $0 + size - 8) } ?? 0xFFFF_FFFF
        header.append(contentsOf: "RIFF".utf8)
        append32(riffSize)
        header.append(contentsOf: "WAVE".utf8)
        header.append(contentsOf: "fmt ".utf8)
        append32(16)
        append16(1)
        append16(UInt16(channels))
        append32(UInt32(sampleRate))
        append32(UInt32(sampleRate * blockAlign))
        append16(UInt16(blockAlign))
        append16(UInt16(bitsPerSample))
        header.append(contentsOf: "data".utf8)
        append32(dataSize)
        return header
    }
}
