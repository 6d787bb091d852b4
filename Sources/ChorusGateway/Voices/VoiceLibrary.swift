import ChorusMedia
import Foundation
import GRDB

/// A stored custom voice: a normalised mono WAV sample under `voices/custom/` and its row in `voices`.
public struct VoiceRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Int
    public var durationSeconds: Double
    public var sampleRate: Int
    public var consent: String?
}

/// Custom voices. Ids are generated here (`voice_` + 24 hex digits) and checked against that shape before any
/// file access, so no id or name can reach outside the voices folder.
public final class VoiceLibrary: Sendable {
    public static let sampleRate = 24000
    let store: Store
    let directory: URL
    let limits: VoiceSampleLimits

    public init(store: Store, voicesDirectory: String, limits: VoiceSampleLimits) throws {
        self.store = store
        self.directory = URL(fileURLWithPath: voicesDirectory).appendingPathComponent("custom", isDirectory: true)
        self.limits = limits
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public static func isValidID(_ id: String) -> Bool {
        let hex = id.utf8.dropFirst(6)
        return id.hasPrefix("voice_") && hex.count == 24 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    func fileURL(id: String) throws(GatewayError) -> URL {
        guard Self.isValidID(id) else { throw .invalidParameter("voice", "'\(id)' is not a voice id.") }
        return directory.appendingPathComponent(id + ".wav")
    }

    public func add(name: String, sample: [UInt8], consent: String?) throws(GatewayError) -> VoiceRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 128 else { throw .invalidParameter("name", "'name' must be 1–128 characters.") }
        let (wav, seconds) = try VoiceSample.normalize(sample, sampleRate: Self.sampleRate, limits: limits, param: "audio_sample")
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<24).map { _ in String(generator.next(upperBound: 16 as UInt64), radix: 16) }.joined()
        let record = VoiceRecord(id: "voice_" + hex, name: trimmed, createdAt: Int(Date().timeIntervalSince1970),
                                 durationSeconds: seconds, sampleRate: Self.sampleRate, consent: consent)
        let url = try fileURL(id: record.id)
        do {
            try Data(wav).write(to: url, options: .atomic)
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO voices (id, name, created_at, duration, sample_rate, consent) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [record.id, record.name, record.createdAt, record.durationSeconds, record.sampleRate, record.consent])
            }
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw .internalError("Could not store the voice: \(error)")
        }
        return record
    }

    public func list() throws -> [VoiceRecord] {
        try store.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM voices ORDER BY created_at, id").map(Self.record) }
    }

    public func get(_ id: String) throws -> VoiceRecord? {
        guard Self.isValidID(id) else { return nil }
        return try store.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM voices WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    /// The stored normalised WAV sample.
    public func sample(_ id: String) throws(GatewayError) -> [UInt8] {
        let url = try fileURL(id: id)
        let record: VoiceRecord?
        do { record = try get(id) } catch { throw .internalError("Voice lookup failed: \(error)") }
        guard record != nil, let data = FileManager.default.contents(atPath: url.path) else {
            throw .notFound("No voice with id '\(id)'.", param: "voice")
        }
        return Array(data)
    }

    public func delete(_ id: String) throws -> Bool {
        guard Self.isValidID(id) else { return false }
        let deleted = try store.pool.write { db in
            try db.execute(sql: "DELETE FROM voices WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
        if deleted { try? FileManager.default.removeItem(at: directory.appendingPathComponent(id + ".wav")) }
        return deleted
    }

    static func record(_ row: Row) -> VoiceRecord {
        VoiceRecord(id: row["id"], name: row["name"], createdAt: row["created_at"], durationSeconds: row["duration"],
                    sampleRate: row["sample_rate"], consent: row["consent"])
    }
}
