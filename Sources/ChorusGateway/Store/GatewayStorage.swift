import Foundation

/// Everything the gateway keeps between requests: API keys, usage rows, custom voices, stored media, the chat
/// API's conversations and the RAG datastores.
///
/// The signatures carry the gateway's own value types only, never a database library's, so a second backend
/// (PostgreSQL) is a second conformance run against the same tests. `SQLiteStore` is the embedded default.
///
/// Every operation is `async` because a networked backend has to wait on a server. The request hot path does not
/// pay for that: `Authenticator` caches key lookups (an await only on a cache miss, as before), and `UsageLog`
/// appends rows to memory and hands them to `appendUsage` in batches from its own service.
public protocol GatewayStorage: Sendable {
    // MARK: API keys

    /// Stores a new key and returns it with the id the storage assigned; `key.id` is ignored.
    func insertKey(_ key: APIKeyRecord) async throws -> APIKeyRecord
    /// Every key, oldest first.
    func listKeys() async throws -> [APIKeyRecord]
    func findKey(hash: String) async throws -> APIKeyRecord?
    /// Marks a key revoked at `date`; false when there is no such key or it already was revoked.
    func revokeKey(id: Int64, at date: Date) async throws -> Bool
    func key(id: Int64) async throws -> APIKeyRecord?
    /// Applies `changes` to the key in one transaction (ordered with concurrent reservations); nil when there is
    /// no such key.
    func updateKey(id: Int64, _ changes: KeyChanges, now: Double) async throws -> APIKeyRecord?
    /// Holds `amount` points of the key's balance and budget for a call, atomically with every other reservation
    /// and settlement (`APIKeyRecord.reserve`). An unknown key is not admitted.
    func reserve(keyID: Int64, amount: Double, now: Double) async throws -> Admission

    // MARK: Usage rows

    /// Writes the rows in one transaction: all of them or none. In the same transaction, each row's key is
    /// settled: the points the row `reserved` come back and its `cost` is paid (`APIKeyRecord.settle`).
    ///
    /// Throws `StorageError.rowRefused` when the database refused a row for what it holds (a constraint, a value
    /// out of range) — retrying cannot help, so the caller writes the rows one by one to find it. Any other error
    /// (busy, locked, disk full, unreachable) may pass on retry.
    func appendUsage(_ rows: [UsageRecord]) async throws
    /// The most recent rows, newest first.
    func recentUsage(limit: Int) async throws -> [LogRow]

    // MARK: Custom voices

    func insertVoice(_ voice: VoiceRecord) async throws
    /// Every voice, oldest first.
    func listVoices() async throws -> [VoiceRecord]
    func voice(id: String) async throws -> VoiceRecord?
    /// False when there was no such voice.
    func deleteVoice(id: String) async throws -> Bool

    // MARK: Stored media

    func insertMedia(_ media: MediaRecord) async throws
    /// The row for `id`, expired or not: expiry is the caller's decision.
    func media(id: String) async throws -> MediaRecord?
    /// The rows stored by these requests, expired or not.
    func media(requestIDs: [String]) async throws -> [MediaRecord]
    /// Deletes every row that expired at or before `now` (Unix seconds) and returns the file names those rows
    /// used that no remaining row uses, so the caller can remove the files.
    func deleteExpiredMedia(now: Double) async throws -> Set<String>

    // MARK: Blobs (voice samples and stored images, when the config keeps them in the database)

    // Names are chosen by the gateway (voice ids, content hashes), never by a caller. Writing a name that already
    // holds bytes keeps them: names are content-addressed or unique, so the bytes are the same.

    func putBlob(_ bytes: [UInt8], bucket: BlobBucket, name: String) async throws
    func blob(bucket: BlobBucket, name: String) async throws -> [UInt8]?
    func hasBlob(bucket: BlobBucket, name: String) async throws -> Bool
    /// Deletes the named blobs that exist and returns how many went.
    func deleteBlobs(bucket: BlobBucket, names: Set<String>) async throws -> Int

    // MARK: Usage reports

    /// The rows `query` selects, in its order, at most `query.limit` of them.
    func usageRows(_ query: UsageQuery) async throws -> [LogRow]
    /// Sums over the rows `query`'s filters select (its order and limit do not apply), one entry per group, in
    /// ascending group order (nil first). Added up by the database, not by loading rows.
    func usageTotals(groupedBy grouping: UsageGrouping, _ query: UsageQuery) async throws -> [UsageTotals]
    /// Deletes at most `limit` of the oldest rows created before `cutoff` and returns how many went. Bounded so
    /// one call never holds the writer for long; callers repeat it until it returns less than `limit`.
    func deleteUsage(before cutoff: Date, limit: Int) async throws -> Int

    // MARK: Conversations (the LoopGpt-style chat API)

    // Every read takes the owner: a conversation is visible only to the key that started it (nil = the master
    // key's own), so one key asking for another's id gets what it gets for an id that does not exist.

    /// Stores the turn's two messages in one transaction — starting the conversation when `turn.conversationID` is
    /// nil — and moves the conversation's `updatedAt`, `model` and `messageCount` on. Nil (and nothing written)
    /// when `turn.conversationID` is not a conversation of `turn.ownerKeyID`.
    func appendTurn(_ turn: ConversationTurn) async throws -> StoredTurn?
    /// The conversation, when `ownerKeyID` owns it.
    func conversation(id: Int64, ownerKeyID: Int64?) async throws -> ConversationRecord?
    /// The owner's conversations, most recently continued first (ties: newest id first), `limit` of them after
    /// skipping `offset`, with the owner's total.
    func conversations(ownerKeyID: Int64?, limit: Int, offset: Int) async throws -> ConversationPage
    /// The conversation's last `limit` messages, oldest first; nil when `ownerKeyID` does not own it.
    func messages(conversationID: Int64, ownerKeyID: Int64?, last limit: Int) async throws -> [ChatMessageRecord]?

    // MARK: RAG datastores (the LoLLMs surface)

    // Owners as for conversations (nil = the master key's own). A datastore is visible to its owner and, when
    // public, to every key; only its owner writes to it.

    /// Stores a new datastore and returns it with its id and owner's name.
    func insertDatastore(_ draft: RAGDatastoreDraft) async throws -> RAGDatastore
    /// The datastores `ownerKeyID` sees (its own and the public ones), oldest first, with their counts.
    func datastores(visibleTo ownerKeyID: Int64?) async throws -> [RAGDatastore]
    /// The datastore when `ownerKeyID` sees it.
    func datastore(id: Int64, visibleTo ownerKeyID: Int64?) async throws -> RAGDatastore?
    /// Deletes the datastore with its documents and chunks when `ownerKeyID` owns it; false otherwise.
    func deleteDatastore(id: Int64, ownerKeyID: Int64?) async throws -> Bool
    /// Stores the document and all its chunks in one transaction. Nil (and nothing written) when the datastore is
    /// not `ownerKeyID`'s (any more).
    func insertDocument(_ document: RAGDocumentDraft, ownerKeyID: Int64?) async throws -> RAGDocument?
    /// The datastore's `limit` chunks most similar to `query` (cosine, `RAGVector`) with a similarity of at least
    /// `minSimilarity`, best first. Chunks of another dimension than the query's are left out.
    func searchChunks(datastoreID: Int64, query: [Float], limit: Int, minSimilarity: Double) async throws -> [RAGMatch]
}

extension GatewayStorage {
    /// Creates a key and returns it with its record. The plaintext exists only in this return value: the storage
    /// sees the hash and the last four characters.
    public func createKey(name: String, rpm: Int?, models: [String]?, expiresAt: Date?) async throws -> (key: String, record: APIKeyRecord) {
        var limits = KeyChanges()
        limits.rpm = rpm
        limits.models = models
        limits.expiresAt = expiresAt
        return try await createKey(name: name, limits: limits)
    }

    /// The same with every limit `KeyChanges` can set (balance, budget, concurrency …).
    public func createKey(name: String, limits: KeyChanges) async throws -> (key: String, record: APIKeyRecord) {
        let key = APIKeyHasher.generateKey()
        let now = Date()
        var draft = APIKeyRecord(id: 0, name: name, keyHash: APIKeyHasher.hash(key), keyHint: String(key.suffix(4)), rpm: nil,
                                 models: nil, expiresAt: nil, createdAt: now, revokedAt: nil)
        limits.apply(to: &draft, now: now.timeIntervalSince1970)
        return (key, try await insertKey(draft))
    }

    public func revokeKey(id: Int64) async throws -> Bool {
        try await revokeKey(id: id, at: Date())
    }
}
