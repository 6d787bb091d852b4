import CMediaShims
import CFFmpeg

/// Something that takes blocks of samples in any format, layout and rate.
protocol SampleSink: AnyObject {
    /// `planes` holds one pointer per channel for planar formats, one pointer for packed ones;
    /// `count` is samples per channel.
    func write(_ planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>, count: Int, spec: SampleSpec) throws
}

extension SampleSink {
    /// Writes a decoded frame.
    func write(frame: UnsafeMutablePointer<AVFrame>) throws {
        guard let extended = frame.pointee.extended_data else { return }
        let planes = UnsafeMutableRawPointer(extended).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
        try write(planes, count: Int(frame.pointee.nb_samples), spec: SampleSpec(frame: frame))
    }

    /// Writes packed (interleaved) samples.
    func write(packed bytes: UnsafeRawBufferPointer, spec: SampleSpec) throws {
        let frameBytes = spec.channels * spec.bytesPerSample
        guard frameBytes > 0, let base = bytes.baseAddress, bytes.count >= frameBytes else { return }
        var plane: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        try write(&plane, count: bytes.count / frameBytes, spec: spec)
    }

    /// Writes mono signed 16-bit samples.
    func write(mono16 samples: UnsafeBufferPointer<Int16>, rate: Int) throws {
        try write(packed: UnsafeRawBufferPointer(samples), spec: .mono16(rate: rate))
    }
}

/// Hands WAV sample blocks to a sink, widening 24-bit samples to 32 bits (libswresample has no
/// packed 24-bit format).
struct WAVBlockWriter {
    private var widened: [Int32] = []

    mutating func write(_ block: UnsafeRawBufferPointer, format: WAVStreamParser.Format, to sink: some SampleSink) throws {
        guard format.bitsPerSample == 24 else {
            try sink.write(packed: block, spec: format.sampleSpec)
            return
        }
        let count = block.count / 3
        if widened.count < count { widened = [Int32](repeating: 0, count: count) }
        widened.withUnsafeMutableBufferPointer { out in
            for index in 0..<count {
                let byte0 = Int32(block[index * 3]), byte1 = Int32(block[index * 3 + 1]), byte2 = Int32(block[index * 3 + 2])
                out[index] = (byte0 << 8) | (byte1 << 16) | (byte2 << 24)
            }
        }
        try widened.withUnsafeBytes { raw in
            try sink.write(packed: UnsafeRawBufferPointer(rebasing: raw[0..<(count * 4)]), spec: format.sampleSpec)
        }
    }
}
