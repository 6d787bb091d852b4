import CMediaShims
import CFFmpeg
import Logging
import NIOConcurrencyHelpers

/// Routes FFmpeg's log (av_log) to swift-log.
public enum FFmpegLog {
    private static let logger = NIOLockedValueBox<Logger?>(nil)

    /// Sends FFmpeg's log lines to `logger`, with metadata `ffmpeg.level` (FFmpeg's own level
    /// name) and `ffmpeg.component` (the demuxer, codec… that logged). Lines below the logger's
    /// level are dropped inside FFmpeg, before formatting. Process-wide; the last call wins.
    ///
    /// FFmpeg's errors and warnings are nearly always about the input a caller sent ("Estimating
    /// duration from bitrate", "moov atom not found"): the outcome reaches the caller as an
    /// ``AudioError`` and the request's row, so at the gateway's info level they are noise. They
    /// are debug lines here; only panic/fatal (FFmpeg itself failing) reach an info log:
    /// panic → critical, fatal → error, error/warning → debug, info and below → trace.
    public static func install(logger: Logger) {
        Self.logger.withLockedValue { $0 = logger }
        chorus_av_log_install({ level, component, line in
            guard let line else { return }
            FFmpegLog.emit(level: level, component: component.map { String(cString: $0) } ?? "", line: String(cString: line))
        }, ffmpegLevel(for: logger.logLevel))
    }

    /// Restores FFmpeg's own logging to stderr.
    public static func uninstall() {
        chorus_av_log_install(nil, AV_LOG_INFO)
        Self.logger.withLockedValue { $0 = nil }
    }

    private static func emit(level: Int32, component: String, line: String) {
        guard let logger = Self.logger.withLockedValue({ $0 }) else { return }
        let (swiftLevel, name) = mapLevel(level)
        logger.log(level: swiftLevel, "\(line)", metadata: ["ffmpeg.level": "\(name)", "ffmpeg.component": "\(component)"])
    }

    static func mapLevel(_ level: Int32) -> (Logger.Level, String) {
        switch level {
        case ...AV_LOG_PANIC: (.critical, "panic")
        case ...AV_LOG_FATAL: (.error, "fatal")
        case ...AV_LOG_ERROR: (.debug, "error")
        case ...AV_LOG_WARNING: (.debug, "warning")
        case ...AV_LOG_INFO: (.trace, "info")
        case ...AV_LOG_VERBOSE: (.trace, "verbose")
        case ...AV_LOG_DEBUG: (.trace, "debug")
        default: (.trace, "trace")
        }
    }

    /// The most verbose FFmpeg level whose lines `level` lets through, after ``mapLevel(_:)``.
    static func ffmpegLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .trace: AV_LOG_TRACE
        case .debug: AV_LOG_WARNING
        case .info, .notice, .warning, .error: AV_LOG_FATAL
        case .critical: AV_LOG_PANIC
        }
    }
}
