import ChorusMedia
import Foundation

/// Custom voices. Ids are generated here (`voice_` + 24 hex digits) and checked against that shape before any
/// sample is read, so no id or name can reach outside the voices' bucket. Samples (normalised mono WAV, the blob
/// `<id>.wav`) live in the database or under `voices_dir`/custom (`blob_storage`), rows in the `voices` table.
///
/// A custom voice belongs to the key that made it (`ownerKeyID`; nil when the master key or the CLI did). Every
/// read, use and deletion goes through `owns(_:_:)` with the caller: a key sees its own voices only, the master key
/// sees all, and a voice another key owns is answered exactly like one that does not exist (`notFound(_:)`, 404 —
/// never 403, which would confirm the id). Presets are not stored here; they are shared by every key.
public final class VoiceLibrary: Sendable {
    public static let sampleRate = 24000
    let store: any GatewayStorage
    public let samples: any BlobStore
    let limits: VoiceSampleLimits

    public init(store: any GatewayStorage, samples: any BlobStore, limits: VoiceSampleLimits) {
        self.store = store
        self.samples = samples
        self.limits = limits
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

    /// The ownership rule, in one place: the master key owns every voice, any other key only those it made.
    /// A non-master caller without a key id (none exists today) owns nothing, so it can never match the master's
    /// voices through two nils.
    public static func owns(_ caller: Caller, _ voice: VoiceRecord) -> Bool {
        if caller.isMaster { return true }
        guard let keyID = caller.keyID else { return false }
        return voice.ownerKeyID == keyID
    }

    /// What every route answers for a voice id the caller cannot see, whether it does not exist or another key
    /// owns it: the same status and text, so the answer tells nothing about other keys' voices.
    public static func notFound(_ id: String) -> GatewayError {
        .notFound("No voice with id '\(GatewayError.echo(id))'.", param: "voice")
    }

    func sampleName(id: String) throws(GatewayError) -> String {
        guard Self.isValidID(id) else { throw .invalidParameter("voice", "'\(GatewayError.echo(id))' is not a voice id.") }
        return id + ".wav"
    }

    /// Normalises the sample (off the event loop) and stores it, then the row, owned by `caller`'s key (nil for
    /// the master key); a row that cannot be written takes its sample with it.
    public func add(name: String, sample: [UInt8], consent: String?, by caller: Caller) async throws(GatewayError) -> VoiceRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 128 else { throw .invalidParameter("name", "'name' must be 1–128 characters.") }
        guard !Self.hasControlCharacters(trimmed) else {
            throw .invalidParameter("name", "'name' must not contain control characters (newlines, tabs, escapes, NUL, direction overrides).")
        }
        let id = "voice_" + Hex.random(digits: 24)
        let blobName = try sampleName(id: id)
        let limits = self.limits
        let (wav, seconds) = try await Offload.run { () throws(GatewayError) -> ([UInt8], Double) in
            try VoiceSample.normalize(sample, sampleRate: Self.sampleRate, limits: limits, param: "audio_sample")
        }
        do { try await samples.put(wav, name: blobName) } catch { throw .internalError("Could not store the voice: \(error)") }
        let record = VoiceRecord(id: id, name: trimmed, createdAt: Int(Date().timeIntervalSince1970),
                                 durationSeconds: seconds, sampleRate: Self.sampleRate, consent: consent,
                                 ownerKeyID: caller.ownerKeyID)
        do {
            try await store.insertVoice(record)
        } catch {
            _ = try? await samples.remove([blobName])
            throw .internalError("Could not store the voice: \(error)")
        }
        return record
    }

    /// The custom voices `caller` owns, oldest first (every voice for the master key). Filtered here rather than
    /// in SQL: a library holds a few hundred voices at most, and the rule stays in `owns(_:_:)` alone.
    public func list(for caller: Caller) async throws -> [VoiceRecord] {
        try await store.listVoices().filter { Self.owns(caller, $0) }
    }

    /// The voice, or nil when there is none with that id or `caller` does not own it.
    public func get(_ id: String, for caller: Caller) async throws -> VoiceRecord? {
        guard Self.isValidID(id), let voice = try await store.voice(id: id), Self.owns(caller, voice) else { return nil }
        return voice
    }

    /// The stored normalised WAV sample of a voice `caller` owns.
    public func sample(_ id: String, for caller: Caller) async throws(GatewayError) -> [UInt8] {
        let blobName = try sampleName(id: id)
        let record: VoiceRecord?
        do { record = try await get(id, for: caller) } catch { throw .internalError("Voice lookup failed: \(error)") }
        guard record != nil else { throw Self.notFound(id) }
        let bytes: [UInt8]?
        do { bytes = try await samples.get(blobName) } catch { throw .internalError("Voice sample read failed: \(error)") }
        guard let bytes else { throw Self.notFound(id) }
        return bytes
    }

    /// False when there is no such voice or `caller` does not own it (the two answer alike).
    public func delete(_ id: String, for caller: Caller) async throws -> Bool {
        guard try await get(id, for: caller) != nil else { return false }
        let deleted = try await store.deleteVoice(id: id)
        if deleted { _ = try? await samples.remove([try sampleName(id: id)]) }
        return deleted
    }
}
