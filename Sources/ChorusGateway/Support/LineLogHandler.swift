#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers

/// The gateway's log lines on standard error, in swift-log's `StreamLogHandler` format
/// (`2026-12-07T04:22:44+0000 info chorus: key=value … [source] message`), written with one `write` per line.
///
/// Each proxied request logs one line, and `StreamLogHandler` spent ~50,000 instructions on it — more than
/// anything else a request does (bench/PROFILE.md): a `localtime` + `strftime` per line, the metadata sorted through
/// lazy sequences and joined through intermediate strings. This one formats the timestamp once per second and
/// builds the line in one string.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata = Logger.Metadata()
    private let label: String
    private let fileDescriptor: Int32

    public init(label: String, fileDescriptor: Int32 = 2, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.MetadataValue? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Usually only the call's own metadata: used as it is rather than merged into a new dictionary.
        let provided = metadataProvider?.get() ?? [:]
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty || !provided.isEmpty || event.error != nil {
            merged = metadata
            merged.merge(provided) { _, new in new }
            if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
            if let error = event.error {
                merged["error.message"] = "\(error)"
                merged["error.type"] = "\(String(reflecting: type(of: error)))"
            }
        }
        let line = Self.lineBytes(timestamp: Self.clock.timestamp(), level: event.level, label: label, metadata: merged,
                                  source: event.source, message: event.message.description)
        line.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = write(fileDescriptor, base + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    static func line(timestamp: String, level: Logger.Level, label: String, metadata: Logger.Metadata, source: String,
                     message: String) -> String {
        String(decoding: lineBytes(timestamp: timestamp, level: level, label: label, metadata: metadata, source: source, message: message),
               as: UTF8.self)
    }

    /// Built as bytes: appending ~40 pieces to a String cost ~14,000 instructions a line.
    static func lineBytes(timestamp: String, level: Logger.Level, label: String, metadata: Logger.Metadata, source: String,
                          message: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256 + message.utf8.count)
        line.append(contentsOf: timestamp.utf8)
        line.append(0x20)
        line.append(contentsOf: level.rawValue.utf8)
        if !label.isEmpty {
            line.append(0x20)
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line.append(0x20)
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.description.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: message.utf8)
        line.append(0x0A)
        return line
    }

    /// The local time as `%Y-%m-%dT%H:%M:%S%z`, formatted once per second.
    private static let clock = SecondClock()

    private final class SecondClock: Sendable {
        private let cache = NIOLockedValueBox<(second: Int, text: String)>((-1, ""))

        func timestamp() -> String {
            let now = time(nil)
            if let text = cache.withLockedValue({ $0.second == now ? $0.text : nil }) { return text }
            var seconds = now
            var local = tm()
            guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
            var buffer = [CChar](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            let text = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            cache.withLockedValue { $0 = (now, text) }
            return text
        }
    }
}
