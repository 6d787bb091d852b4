import CMediaShims
import CFFmpeg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a custom AVIOContext writes to: bytes in memory, seekable for whole files (so muxers can
/// patch their headers: FLAC STREAMINFO, the MP3 Xing frame) and append-only for streams.
final class OutputBuffer {
    private(set) var bytes: [UInt8] = []
    private var position = 0
    let isSeekable: Bool

    init(seekable: Bool) { self.isSeekable = seekable }

    func write(_ buffer: UnsafePointer<UInt8>, _ size: Int) {
        let source = UnsafeBufferPointer(start: buffer, count: size)
        if position == bytes.count {
            bytes.append(contentsOf: source)
        } else {
            let overlap = min(size, bytes.count - position)
            bytes.replaceSubrange(position..<(position + overlap), with: source.prefix(overlap))
            if overlap < size { bytes.append(contentsOf: source.dropFirst(overlap)) }
        }
        position += size
    }

    func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        guard isSeekable else { return Int64(FFmpegCode.notSupported) }
        let target = resolveSeek(offset: offset, whence: whence, position: position, size: bytes.count)
        if target >= 0, whence & ~Int32(AVSEEK_FORCE) != AVSEEK_SIZE {
            if target > Int64(bytes.count) { bytes.append(contentsOf: repeatElement(0, count: Int(target) - bytes.count)) }
            position = Int(target)
        }
        return target
    }

    /// Hands out what was written so far and starts empty (streams only: a seek back would be lost).
    func take() -> [UInt8] {
        defer {
            bytes = []
            position = 0
        }
        return bytes
    }
}

let avioWriteCallback: chorus_avio_write_fn = { opaque, buffer, size in
    guard let opaque, let buffer, size > 0 else { return 0 }
    Unmanaged<OutputBuffer>.fromOpaque(opaque).takeUnretainedValue().write(buffer, Int(size))
    return size
}

let avioOutputSeekCallback: chorus_avio_seek_fn = { opaque, offset, whence in
    guard let opaque else { return Int64(FFmpegCode.notSupported) }
    return Unmanaged<OutputBuffer>.fromOpaque(opaque).takeUnretainedValue().seek(offset, whence)
}
