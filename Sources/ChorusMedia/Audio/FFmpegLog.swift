import CChorusShims
import CFFmpeg
import Logging

/// Routes FFmpeg's log (av_log) to swift-log.
public enum FFmpegLog {
    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var logger: Logger?

    /// Sends every FFmpeg log line at or above `logger.logLevel` to `logger`, with metadata
    /// `ffmpeg.level` (FFmpeg's own level name) and `ffmpeg.component` (the demuxer, codec… that logged). FFmpeg's levels map to: panic/fatal → critical,
    /// error → error, warning → warning, info → info, verbose → debug, debug/trace → trace.
    /// Process-wide; the last call wins.
    public static func install(logger: Logger) {
        lock.withLock { Self.logger = logger }
        chorus_av_log_install({ level, component, line in
            guard let line else { return }
            FFmpegLog.emit(level: level, component: component.map { String(cString: $0) } ?? "", line: String(cString: line))
        }, ffmpegLevel(for: logger.logLevel))
    }

    /// Restores FFmpeg's own logging to stderr.
    public static func uninstall() {
        chorus_av_log_install(nil, AV_LOG_INFO)
        lock.withLock { Self.logger = nil }
    }

    private static func emit(level: Int32, component: String, line: String) {
        guard let logger = lock.withLock({ Self.logger }) else { return }
        let (swiftLevel, name) = mapLevel(level)
        logger.log(level: swiftLevel, "\(line)", metadata: ["ffmpeg.level": "\(name)", "ffmpeg.component": "\(component)"])
    }

    static func mapLevel(_ level: Int32) -> (Logger.Level, String) {
        switch level {
        case ...AV_LOG_PANIC: (.critical, "panic")
        case ...AV_LOG_FATAL: (.critical, "fatal")
        case ...AV_LOG_ERROR: (.error, "error")
        case ...AV_LOG_WARNING: (.warning, "warning")
        case ...AV_LOG_INFO: (.info, "info")
        case ...AV_LOG_VERBOSE: (.debug, "verbose")
        case ...AV_LOG_DEBUG: (.trace, "debug")
        default: (.trace, "trace")
        }
    }

    static func ffmpegLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .trace: AV_LOG_DEBUG
        case .debug: AV_LOG_VERBOSE
        case .info, .notice: AV_LOG_INFO
        case .warning: AV_LOG_WARNING
        case .error: AV_LOG_ERROR
        case .critical: AV_LOG_FATAL
        }
    }
}
