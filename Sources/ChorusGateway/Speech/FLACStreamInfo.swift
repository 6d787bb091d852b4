/// FLAC written as a stream cannot seek back to fill in STREAMINFO's total sample count, so players and ffprobe
/// see no duration. Chorus buffers FLAC (a file format; nobody plays it while it downloads) and writes the count.
enum FLACStreamInfo {
    /// Sets the 36-bit total-samples field of the first STREAMINFO block. Returns false when `bytes` does not
    /// start with a FLAC marker and a STREAMINFO block.
    @discardableResult
    static func setTotalSamples(_ total: UInt64, in bytes: inout [UInt8]) -> Bool {
        // "fLaC", then a 4-byte metadata block header whose type (low 7 bits of the first byte) is 0 = STREAMINFO.
        guard bytes.count >= 42, bytes[0..<4].elementsEqual("fLaC".utf8), bytes[4] & 0x7F == 0 else { return false }
        // STREAMINFO starts at byte 8; after min/max block size (4 bytes) and min/max frame size (6 bytes) comes a
        // 64-bit field: sample rate (20 bits), channels-1 (3), bits-1 (5), total samples (36).
        let offset = 8 + 10
        var field: UInt64 = 0
        for i in 0..<8 { field = field << 8 | UInt64(bytes[offset + i]) }
        let mask: UInt64 = (1 << 36) - 1
        field = (field & ~mask) | (total & mask)
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: field >> (56 - 8 * UInt64(i))) }
        return true
    }
}

extension SynthesizedAudio {
    /// The whole clip as one chunk with STREAMINFO completed (see `FLACStreamInfo`).
    func bufferedFLAC(sampleRate: Int) -> SynthesizedAudio {
        let source = chunks
        let seconds = self.seconds
        let whole = SynthesizedAudio.produce { continuation in
            var bytes: [UInt8] = []
            for try await chunk in source { bytes += chunk }
            FLACStreamInfo.setTotalSamples(UInt64((seconds() * Double(sampleRate)).rounded()), in: &bytes)
            continuation.yield(bytes)
        }
        return SynthesizedAudio(chunks: whole, seconds: seconds)
    }
}
