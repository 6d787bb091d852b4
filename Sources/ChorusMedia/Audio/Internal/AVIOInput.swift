import CMediaShims
import CFFmpeg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a custom AVIOContext reads from. Subclasses override ``read(_:_:)`` and ``seek(_:_:)``;
/// the C callbacks reach the object through an unretained opaque pointer, so the owner of the
/// AVIOContext keeps the input alive.
class AVIOInput {
    /// Set once a read found the input exhausted.
    final var reachedEnd = false
    /// Whether demuxers may seek at will (in-memory input) or should treat the input as a stream.
    var isSeekable: Bool { false }
    /// The total size when known.
    var size: Int? { nil }
    /// The first bytes of the input (as many as have arrived, up to `count`).
    func prefix(_ count: Int) -> [UInt8] { [] }

    /// Copies up to `size` bytes into `buffer`; returns the count, AVERROR_EOF or another AVERROR.
    func read(_ buffer: UnsafeMutablePointer<UInt8>, _ size: Int) -> Int32 { FFmpegCode.eof }

    /// `whence` is SEEK_SET/SEEK_CUR/SEEK_END or AVSEEK_SIZE; returns the new position, the size or an AVERROR.
    func seek(_ offset: Int64, _ whence: Int32) -> Int64 { Int64(FFmpegCode.notSupported) }
}

let avioReadCallback: chorus_avio_read_fn = { opaque, buffer, size in
    guard let opaque, let buffer, size > 0 else { return FFmpegCode.eof }
    return Unmanaged<AVIOInput>.fromOpaque(opaque).takeUnretainedValue().read(buffer, Int(size))
}

let avioSeekCallback: chorus_avio_seek_fn = { opaque, offset, whence in
    guard let opaque else { return Int64(FFmpegCode.notSupported) }
    return Unmanaged<AVIOInput>.fromOpaque(opaque).takeUnretainedValue().seek(offset, whence)
}

/// Resolves a seek request against a position and an optional total size. AVSEEK_FORCE is ignored.
func resolveSeek(offset: Int64, whence: Int32, position: Int, size: Int?) -> Int64 {
    let mode = whence & ~Int32(AVSEEK_FORCE)
    if mode == AVSEEK_SIZE { return size.map(Int64.init) ?? Int64(FFmpegCode.notSupported) }
    let base: Int64
    switch mode {
    case SEEK_SET: base = 0
    case SEEK_CUR: base = Int64(position)
    case SEEK_END:
        guard let size else { return Int64(FFmpegCode.notSupported) }
        base = Int64(size)
    default: return Int64(chorus_averror(EINVAL))
    }
    let (target, overflow) = base.addingReportingOverflow(offset)
    guard !overflow, target >= 0, target <= Int64(Int32.max) * 64 else { return Int64(chorus_averror(EINVAL)) }
    return target
}

/// Reads from bytes held in memory, in place: the bytes belong to the caller, who keeps them valid and unchanged
/// for as long as the demuxer reading this input lives (``AudioDecoder`` opens and closes it within one call).
/// Borrowing instead of holding an array is what lets an upload be decoded without copying it first.
final class MemoryInput: AVIOInput {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    override var isSeekable: Bool { true }
    override var size: Int? { bytes.count }
    override func prefix(_ count: Int) -> [UInt8] { Array(bytes.prefix(count)) }

    override func read(_ buffer: UnsafeMutablePointer<UInt8>, _ size: Int) -> Int32 {
        let available = bytes.count - position
        guard available > 0, let base = bytes.baseAddress else {
            reachedEnd = true
            return FFmpegCode.eof
        }
        let count = min(available, size)
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + position, byteCount: count)
        position += count
        return Int32(count)
    }

    override func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        let target = resolveSeek(offset: offset, whence: whence, position: position, size: bytes.count)
        if target >= 0, whence & ~Int32(AVSEEK_FORCE) != AVSEEK_SIZE {
            position = Int(min(target, Int64(bytes.count)))
            // Skipping to the end or past it (over an atom the input cuts short) counts as running out.
            if target >= Int64(bytes.count) { reachedEnd = true }
        }
        return target
    }
}
