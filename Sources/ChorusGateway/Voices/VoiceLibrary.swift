import ChorusMedia
import Foundation

/// Custom voices. Ids are generated here (`voice_` + 24 hex digits) and checked against that shape before any
/// file access, so no id or name can reach outside the voices folder.
public final class VoiceLibrary: Sendable {
    public static let sampleRate = 24000
    let store: any GatewayStorage
    let directory: URL
    let limits: VoiceSampleLimits

    public init(store: any GatewayStorage, voicesDirectory: String, limits: VoiceSampleLimits) throws {
        self.store = store
        self.directory = URL(fileURLWithPath: voicesDirectory).appendingPathComponent("custom", isDirectory: true)
        self.limits = limits
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public static func isValidID(_ id: String) -> Bool {
        let hex = id.utf8.dropFirst(6)
        return id.hasPrefix("voice_") && hex.count == 24 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Control characters (C0, DEL, C1) and bidirectional overrides: in a name they forge or reorder lines of
    /// `chorus voices list` and of logs.
    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value)
        }
    }

    func fileURL(id: String) throws(GatewayError) -> URL {
        guard Self.isValidID(id) else { throw .invalidParameter("voice", "'\(GatewayError.echo(id))' is not a voice id.") }
        return directory.appendingPathComponent(id + ".wav")
    }

    /// Normalises the sample and writes its WAV (on the NIO thread pool), then the row; a row that cannot be
    /// written takes its file with it.
    public func add(name: String, sample: [UInt8], consent: String?) async throws(GatewayError) -> VoiceRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 128 else { throw .invalidParameter("name", "'name' must be 1–128 characters.") }
        guard !Self.hasControlCharacters(trimmed) else {
            throw .invalidParameter("name", "'name' must not contain control characters (newlines, tabs, escapes, NUL, direction overrides).")
        }
        let id = "voice_" + Hex.random(digits: 24)
        let url = try fileURL(id: id)
        let limits = self.limits
        let seconds = try await Offload.run { () throws(GatewayError) -> Double in
            let (wav, seconds) = try VoiceSample.normalize(sample, sampleRate: Self.sampleRate, limits: limits, param: "audio_sample")
            do { try Data(wav).write(to: url, options: .atomic) } catch { throw .internalError("Could not store the voice: \(error)") }
            return seconds
        }
        let record = VoiceRecord(id: id, name: trimmed, createdAt: Int(Date().timeIntervalSince1970),
                                 durationSeconds: seconds, sampleRate: Self.sampleRate, consent: consent)
        do {
            try await store.insertVoice(record)
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw .internalError("Could not store the voice: \(error)")
        }
        return record
    }

    public func list() async throws -> [VoiceRecord] {
        try await store.listVoices()
    }

    public func get(_ id: String) async throws -> VoiceRecord? {
        guard Self.isValidID(id) else { return nil }
        return try await store.voice(id: id)
    }

    /// The stored normalised WAV sample.
    public func sample(_ id: String) async throws(GatewayError) -> [UInt8] {
        let url = try fileURL(id: id)
        let record: VoiceRecord?
        do { record = try await get(id) } catch { throw .internalError("Voice lookup failed: \(error)") }
        guard record != nil, let data = FileManager.default.contents(atPath: url.path) else {
            throw .notFound("No voice with id '\(GatewayError.echo(id))'.", param: "voice")
        }
        return Array(data)
    }

    public func delete(_ id: String) async throws -> Bool {
        guard Self.isValidID(id) else { return false }
        let deleted = try await store.deleteVoice(id: id)
        if deleted { try? FileManager.default.removeItem(at: directory.appendingPathComponent(id + ".wav")) }
        return deleted
    }
}
