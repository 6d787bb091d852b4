import CMediaShims
import CFFmpeg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FFmpeg error codes that are macros in C.
enum FFmpegCode {
    static let eof: Int32 = chorus_averror_eof()
    static let again: Int32 = chorus_averror(EAGAIN)
    static let exit: Int32 = chorus_averror_exit()
    static let invalidData: Int32 = chorus_averror_invaliddata()
    static let decoderNotFound: Int32 = chorus_averror_decoder_not_found()
    static let noMemory: Int32 = chorus_averror(ENOMEM)
    static let notSupported: Int32 = chorus_averror(ENOSYS)
    static let permissionDenied: Int32 = chorus_averror(EPERM)
    static let noTimestamp: Int64 = chorus_av_nopts_value()

    /// The text `av_err2str` gives for `code`.
    static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        chorus_av_err2str(code, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension AudioError {
    /// An error of `kind` for a failed FFmpeg call, naming what was being done and FFmpeg's reason.
    static func ffmpeg(_ kind: Kind, _ what: String, _ code: Int32) -> AudioError {
        AudioError(kind: kind, message: "\(what): \(FFmpegCode.text(code))", code: code)
    }
}

/// Throws an ``AudioError`` of `kind` when `result` is a negative AVERROR; returns it otherwise.
@discardableResult
func throwIfFail(_ result: Int32, _ kind: AudioError.Kind, _ what: @autoclosure () -> String) throws -> Int32 {
    if result < 0 { throw AudioError.ffmpeg(kind, what(), result) }
    return result
}
