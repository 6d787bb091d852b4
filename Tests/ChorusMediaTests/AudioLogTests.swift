import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import ChorusMedia

@Suite("FFmpeg log", .serialized, .timeLimit(.minutes(1)))
struct AudioLogTests {
    final class Collector: @unchecked Sendable {
        private let lock = NIOLock()
        private var entries: [(Logger.Level, String, Logger.Metadata)] = []
        func add(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
            lock.withLock { entries.append((level, message, metadata)) }
        }
        var all: [(Logger.Level, String, Logger.Metadata)] { lock.withLock { entries } }
    }

    struct CollectingHandler: LogHandler {
        let collector: Collector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            collector.add(event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }

    @Test func ffmpegMessagesReachSwiftLogAsWholeLines() throws {
        let collector = Collector()
        var logger = Logger(label: "chorus.ffmpeg.test") { _ in CollectingHandler(collector: collector) }
        logger.logLevel = .debug
        FFmpegLog.install(logger: logger)
        defer { FFmpegLog.uninstall() }
        let m4a = try AudioFixtures.bytes("tone.m4a")
        // The mov demuxer logs "moov atom not found" at its error level for an mp4 without its index.
        expectAudioError(.truncated) { _ = try AudioDecoder.decode(Array(m4a.prefix(m4a.count / 2)), sampleRate: nil) }
        let moov = collector.all.first { $0.1.contains("moov atom not found") }
        let entry = try #require(moov, "got \(collector.all.map(\.1))")
        #expect(entry.0 == .debug)
        #expect(entry.1 == "moov atom not found")
        #expect(entry.2["ffmpeg.level"] == "error")
        #expect(entry.2["ffmpeg.component"] == "mov,mp4,m4a,3gp,3g2,mj2")
    }

    /// "Estimating duration from bitrate" (a warning about the caller's file) reached the gateway's info log.
    @Test func onlyFFmpegsOwnFailuresReachAnInfoLog() {
        #expect(FFmpegLog.mapLevel(0).0 == .critical)
        #expect(FFmpegLog.mapLevel(8).0 == .error)
        #expect(FFmpegLog.mapLevel(16).0 == .debug)
        #expect(FFmpegLog.mapLevel(24).0 == .debug)
        #expect(FFmpegLog.mapLevel(32).0 == .trace)
        #expect(FFmpegLog.mapLevel(48).0 == .trace)
        #expect(FFmpegLog.ffmpegLevel(for: .info) == 8)
        #expect(FFmpegLog.ffmpegLevel(for: .debug) == 24)
    }

    @Test func anInfoLoggerGetsNoLinesAboutACallersBadFile() throws {
        let collector = Collector()
        let logger = Logger(label: "chorus.ffmpeg.test") { _ in CollectingHandler(collector: collector) }
        FFmpegLog.install(logger: logger)
        defer { FFmpegLog.uninstall() }
        let m4a = try AudioFixtures.bytes("tone.m4a")
        expectAudioError(.truncated) { _ = try AudioDecoder.decode(Array(m4a.prefix(m4a.count / 2)), sampleRate: nil) }
        #expect(collector.all.isEmpty, "got \(collector.all.map(\.1))")
    }
}
