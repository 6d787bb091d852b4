@testable import ChorusGateway
import Foundation
import GRDB
import PostgresNIO
import Testing

/// What any `GatewayStorage` must do, run against every available backend (`StorageBackend`: SQLite, and
/// PostgreSQL when the tests have a server). The backend-specific checks (old files, the schema's columns, how a
/// refused row is made) name their backend.
@Suite struct GatewayStorageTests {
    static func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("chorus-test-\(UUID().uuidString).sqlite").path
    }

    static func withSQLite(_ body: (SQLiteStore) async throws -> Void) async throws {
        let path = tempPath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        try await body(try SQLiteStore(path: path))
    }

    /// Every column set, none to its default, with values a careless mapping would swap or round.
    static func fullyPopulatedRow() -> UsageRecord {
        var row = UsageRecord(requestID: "req-roundtrip", route: "/audio/speech")
        row.createdAt = Date(timeIntervalSince1970: 1_764_000_000.25)
        row.keyID = 42
        row.model = "tts-1"
        row.provider = "openai"
        row.status = 207
        row.stream = true
        row.promptSummary = "say “hello” — twice"
        row.promptTokens = 11
        row.completionTokens = 13
        row.totalTokens = 24
        row.characters = 17
        row.audioSeconds = 3.5
        row.images = 2
        row.imageSize = "1024x768"
        row.ttfbMs = 12.75
        row.latencyMs = 345.5
        row.bytesIn = 1_234
        row.bytesOut = 56_789
        row.error = "upstream said no"
        row.tried = "primary (down): unreachable"
        row.cost = 1.625
        row.unauthenticated = true
        row.inputAudioTokens = 5
        row.outputAudioTokens = 7
        row.sessionSeconds = 61.125
        return row
    }

    @Test func usageRowRoundTripsEveryGenerationLogsColumn() async throws {
        try await Self.withSQLite { store in
            let written = Self.fullyPopulatedRow()
            try await store.appendUsage([written])
            let read = try #require(try await store.recentUsage(limit: 10).first)
            #expect(read.usage == written)

            // The record names every column of the table, so none can be left out of the write.
            let columns = try await store.pool.read { db in try db.columns(in: "generation_logs").map(\.name) }
            #expect(columns.count == 29)
            #expect(Set(columns) == Set(UsageRecord.CodingKeys.allCases.map(\.stringValue) + ["id"]))
        }
    }

    @Test(arguments: StorageBackend.available)
    func usageRowWithOnlyRequiredFieldsReadsBackWithNulls(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            var row = UsageRecord(requestID: "req-sparse", route: "/models")
            row.createdAt = Date(timeIntervalSince1970: 1_764_000_000)
            try await store.appendUsage([row])
            #expect(try await store.recentUsage(limit: 1).first?.usage == row)
        }
    }

    @Test(arguments: StorageBackend.available)
    func recentUsageIsNewestFirstAndLimited(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.appendUsage((0..<5).map { UsageRecord(requestID: "req-\($0)", route: "/r") })
            let rows = try await store.recentUsage(limit: 3)
            #expect(rows.map(\.requestID) == ["req-4", "req-3", "req-2"])
            #expect(rows.map(\.id) == rows.map(\.id).sorted(by: >))
        }
    }

    /// What a retry after a lost commit reply does: the same rows again. Each is written and charged once.
    @Test(arguments: StorageBackend.available)
    func aBatchWrittenTwiceIsInsertedAndSettledOnce(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            var changes = KeyChanges()
            changes.balance = 10
            let (_, key) = try await store.createKey(name: "retried", limits: changes)
            #expect(try await store.reserve(keyID: key.id, amount: 2, now: 1_800_000_000) == .admitted)
            var paid = UsageRecord(requestID: "req-paid", route: "/chat/completions")
            paid.keyID = key.id
            paid.reserved = 2
            paid.cost = 1.5
            let free = UsageRecord(requestID: "req-free", route: "/models")
            try await store.appendUsage([paid, free])
            let later = UsageRecord(requestID: "req-later", route: "/models")
            try await store.appendUsage([paid, free, later])
            #expect(try await store.recentUsage(limit: 10).map(\.requestID) == ["req-later", "req-free", "req-paid"])
            let settled = try #require(try await store.key(id: key.id))
            #expect(settled.balance == 8.5 && settled.spent == 1.5, "charged once: \(settled)")
        }
    }

    /// A statement that does not finish (here one that sleeps; in the outage test, one on a connection a server
    /// restart cut, which never answered and held the usage writer's flush for good) has its connection closed at
    /// `statement_timeout`: the caller gets an error instead of waiting without end, and the pool goes on.
    /// PostgreSQL only: without a server, `StorageBackend.postgres` has no URL to build on (it made SQLite files
    /// named `?schema=…` in the working directory, and once they were committed).
    @Test(.enabled(if: StorageBackend.postgresURL != nil, "needs CHORUS_TEST_POSTGRES"))
    func aStatementPastTheStatementTimeoutHasItsConnectionClosedAndFails() async throws {
        try await StorageBackend.postgres.withStore { _, database in
            let store = try await PostgresStorageTests.open(database + (database.contains("?") ? "&" : "?") + "statement_timeout=1")
            defer { store.close() }
            let started = ContinuousClock.now
            let error = await #expect(throws: StorageError.self) {
                try await store.pool.query("SELECT pg_sleep(30)", logger: store.logger)
            }
            let waited = ContinuousClock.now - started
            #expect(waited < .seconds(10), "waited \(waited)")
            #expect("\(error.map { "\($0)" } ?? "")".contains("did not finish within"))
            let one = try await store.pool.query("SELECT 1::bigint", logger: store.logger).decode(Int.self)
            #expect(one == [1], "the pool serves the next statement (not the closed connection)")
        }
    }

    @Test func aBatchWithARefusedRowWritesNothingAndSaysTheRowWasRefused() async throws {
        try await Self.withSQLite { store in
            try await store.pool.write { db in
                try db.execute(sql: """
                    CREATE TEMP TRIGGER refuse_poison BEFORE INSERT ON generation_logs WHEN NEW.route = '/poison'
                    BEGIN SELECT RAISE(ABORT, 'refused'); END
                    """)
            }
            let batch = [UsageRecord(requestID: "a", route: "/ok"), UsageRecord(requestID: "b", route: "/poison")]
            let error = await #expect(throws: StorageError.self) { try await store.appendUsage(batch) }
            #expect(error?.isRowRefused == true)
            #expect(try await store.recentUsage(limit: 10).isEmpty)
        }
    }

    @Test(arguments: StorageBackend.available)
    func keysAreCreatedFoundListedAndRevokedOnce(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let expiry = Date(timeIntervalSince1970: 1_900_000_000)
            let (key, created) = try await store.createKey(name: "app", rpm: 30, models: ["tts-1", "whisper-1"], expiresAt: expiry)
            let (_, other) = try await store.createKey(name: "other", rpm: nil, models: nil, expiresAt: nil)
            #expect(created.id > 0 && other.id > created.id)
            #expect(created.keyHint == String(key.suffix(4)))

            let found = try #require(try await store.findKey(hash: APIKeyHasher.hash(key)))
            #expect(found.id == created.id && found.name == "app" && found.rpm == 30)
            #expect(found.models == ["tts-1", "whisper-1"])
            #expect(found.expiresAt == expiry)
            #expect(abs(found.createdAt.timeIntervalSince(created.createdAt)) < 0.001)
            #expect(try await store.findKey(hash: APIKeyHasher.hash("sk-chorus-unknown")) == nil)
            #expect(try await store.listKeys().map(\.id) == [created.id, other.id])

            let revokedAt = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try await store.revokeKey(id: created.id, at: revokedAt))
            #expect(try await store.revokeKey(id: created.id) == false)
            #expect(try await store.revokeKey(id: 9_999) == false)
            #expect(try await store.findKey(hash: created.keyHash)?.revokedAt == revokedAt)
            #expect(try await store.findKey(hash: other.keyHash)?.revokedAt == nil)
        }
    }

    /// A limit removed (`.some(nil)`) reads back as nil: an update writes every column, not only those set.
    @Test(arguments: StorageBackend.available)
    func anUpdateClearsTheLimitsItRemovesAndKeepsTheOthers(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            var limits = KeyChanges()
            limits.balance = 5
            limits.rpm = 10
            limits.maxConcurrency = 2
            let (_, created) = try await store.createKey(name: "limited", limits: limits)
            var changes = KeyChanges()
            changes.balance = .some(nil)
            changes.rpm = .some(nil)
            let updated = try #require(try await store.updateKey(id: created.id, changes, now: 1_800_000_000))
            #expect(updated.balance == nil && updated.rpm == nil && updated.maxConcurrency == 2)
            let read = try #require(try await store.key(id: created.id))
            #expect(read == updated)
            #expect(try await store.updateKey(id: 9_999, changes, now: 0) == nil)
        }
    }

    @Test(arguments: StorageBackend.available)
    func voicesAreInsertedListedInCreationOrderAndDeletedOnce(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let later = VoiceRecord(id: "voice_" + String(repeating: "b", count: 24), name: "Later", createdAt: 200,
                                    durationSeconds: 2.5, sampleRate: 24000, consent: nil)
            let earlier = VoiceRecord(id: "voice_" + String(repeating: "a", count: 24), name: "Earlier", createdAt: 100,
                                      durationSeconds: 4.25, sampleRate: 24000, consent: "signed 2026-01-01")
            try await store.insertVoice(later)
            try await store.insertVoice(earlier)
            #expect(try await store.listVoices() == [earlier, later])
            #expect(try await store.voice(id: earlier.id) == earlier)
            #expect(try await store.deleteVoice(id: earlier.id))
            #expect(try await store.deleteVoice(id: earlier.id) == false)
            #expect(try await store.voice(id: earlier.id) == nil)
        }
    }

    @Test(arguments: StorageBackend.available)
    func expiredMediaRowsGoAndOnlyFilesNoLiveRowUsesAreReturned(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            func media(_ id: String, file: String, expires: Double) -> MediaRecord {
                MediaRecord(id: id, sha256: String(repeating: "0", count: 64), contentType: "image/png", fileName: file,
                            bytes: 10, createdAt: 0, expiresAt: expires)
            }
            let shared = media("img_1", file: "shared.png", expires: 10)
            let sharedLive = media("img_2", file: "shared.png", expires: 30)
            let alone = media("img_3", file: "alone.png", expires: 10)
            for record in [shared, sharedLive, alone] { try await store.insertMedia(record) }
            #expect(try await store.media(id: "img_1") == shared)

            #expect(try await store.deleteExpiredMedia(now: 10) == ["alone.png"])
            #expect(try await store.media(id: "img_1") == nil)
            #expect(try await store.media(id: "img_2") == sharedLive)
            #expect(try await store.deleteExpiredMedia(now: 20).isEmpty)
            #expect(try await store.deleteExpiredMedia(now: 30) == ["shared.png"])
        }
    }

    /// A file written by the SQL the gateway ran before the records (comma-separated models, Unix-second dates)
    /// reads back through the records unchanged.
    @Test func rowsWrittenBeforeTheRecordsReadBackThroughThem() async throws {
        try await Self.withSQLite { store in
            try await store.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO api_keys (name, key_hash, key_hint, rpm, models, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: ["old", "hash-old", "abcd", 5, "a,b", 1_900_000_000.0, 1_700_000_000.5])
                try db.execute(sql: "INSERT INTO voices (id, name, created_at, duration, sample_rate, consent) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: ["voice_" + String(repeating: "c", count: 24), "Old", 1_700_000_000, 3.0, 24000, nil])
                try db.execute(sql: """
                    INSERT INTO generation_logs (created_at, request_id, key_id, model, provider, route, status, stream,
                      prompt_summary, prompt_tokens, completion_tokens, total_tokens, characters, audio_seconds, images,
                      image_size, ttfb_ms, latency_ms, bytes_in, bytes_out, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [1_700_000_000.5, "req-old", 1, "m", "p", "/chat/completions", 200, 1,
                                     "hi", 1, 2, 3, nil, nil, nil, nil, 4.5, 9.5, 10, 20, nil])
            }
            let key = try #require(try await store.findKey(hash: "hash-old"))
            #expect(key.models == ["a", "b"] && key.rpm == 5 && key.revokedAt == nil)
            #expect(key.expiresAt == Date(timeIntervalSince1970: 1_900_000_000))
            #expect(key.createdAt == Date(timeIntervalSince1970: 1_700_000_000.5))
            #expect(try await store.listVoices().first?.durationSeconds == 3.0)
            let row = try #require(try await store.recentUsage(limit: 1).first)
            #expect(row.createdAt == Date(timeIntervalSince1970: 1_700_000_000.5))
            #expect(row.stream && row.totalTokens == 3 && row.ttfbMs == 4.5 && row.characters == nil)
        }
    }

    @Test func anUnknownDatabaseSchemeIsRefused() async throws {
        let error = await #expect(throws: StorageError.self) {
            _ = try await openStorage(database: "mysql://chorus:s3cret@db.internal:3306/chorus")
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("mysql://") && !message.contains("s3cret"))
    }

    @Test func anUnreachablePostgresServerIsAnErrorNamingTheURLWithoutItsPassword() async throws {
        // A port nothing listens on: refused at once.
        let error = await #expect(throws: StorageError.self) {
            _ = try await openStorage(database: "postgres://chorus:s3cret@127.0.0.1:1/chorus?sslmode=disable")
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("postgres://chorus@127.0.0.1:1/chorus") && !message.contains("s3cret"), "\(message)")
    }

    @Test(arguments: [
        "postgres://u:p@h/db?sslmode=maybe", "postgres://u:p@h/db?pool_size=0", "postgres://u:p@h/db?colour=red", "postgres:///db",
    ])
    func aMalformedPostgresURLIsRefusedWithoutItsPassword(url: String) async throws {
        let error = await #expect(throws: StorageError.self) { _ = try await openStorage(database: url) }
        #expect(!(error.map { "\($0)" } ?? "").contains(":p@"))
    }
}

/// PostgreSQL's own checks: the round trip of every column, refused rows, exact admissions from two replicas'
/// pools, migrations raced by replicas starting together. Skipped without a server (`CHORUS_TEST_POSTGRES`).
@Suite(.enabled(if: StorageBackend.postgresURL != nil, "needs CHORUS_TEST_POSTGRES"))
struct PostgresStorageTests {
    static func open(_ database: String) async throws -> PostgresStore {
        try #require(try await openStorage(database: database) as? PostgresStore)
    }

    @Test(arguments: StorageBackend.available)
    func usageRowRoundTripsEveryColumn(backend: StorageBackend) async throws {
        try await backend.withStore { store, _ in
            let written = GatewayStorageTests.fullyPopulatedRow()
            try await store.appendUsage([written])
            #expect(try await store.recentUsage(limit: 10).first?.usage == written)
        }
    }

    @Test func aBatchWithARefusedRowWritesNothingAndSaysTheRowWasRefused() async throws {
        try await StorageBackend.postgres.withStore { store, _ in
            let postgres = try #require(store as? PostgresStore)
            try await postgres.client.query("ALTER TABLE generation_logs ADD CONSTRAINT no_poison CHECK (route <> '/poison')",
                                            logger: postgres.logger)
            let batch = [UsageRecord(requestID: "a", route: "/ok"), UsageRecord(requestID: "b", route: "/poison")]
            let error = await #expect(throws: StorageError.self) { try await store.appendUsage(batch) }
            #expect(error?.isRowRefused == true)
            #expect(try await store.recentUsage(limit: 10).isEmpty)
        }
    }

    /// What holds ten calls' points: a plain balance (held by one conditional UPDATE) or a daily budget (the
    /// locking path, whose refusal says when the period ends).
    enum TenCalls: String, CaseIterable, Sendable { case balance, budget }

    @Test(arguments: TenCalls.allCases)
    func fiftyReservationsFromTwoReplicasAgainstTenCallsAdmitExactlyTen(limit: TenCalls) async throws {
        try await StorageBackend.postgres.withStore { first, database in
            let second = try await Self.open(database)
            defer { second.close() }
            var changes = KeyChanges()
            switch limit {
            case .balance: changes.balance = 10
            case .budget: (changes.budget, changes.budgetPeriod) = (10, .daily)
            }
            let (_, key) = try await first.createKey(name: "ten", limits: changes)
            let stores: [any GatewayStorage] = [first, second]
            let admissions = try await withThrowingTaskGroup(of: Admission.self) { group in
                for call in 0..<50 {
                    group.addTask { try await stores[call % 2].reserve(keyID: key.id, amount: 1, now: 1_800_000_000) }
                }
                return try await group.reduce(into: [Admission]()) { $0.append($1) }
            }
            #expect(admissions.filter { $0 == .admitted }.count == 10)
            let stored = try #require(try await second.key(id: key.id))
            switch limit {
            case .balance:
                #expect(stored.balance == 0)
                #expect(admissions.allSatisfy { $0 == .admitted || $0 == .insufficientBalance(retryAfter: nil) })
            case .budget:
                #expect(stored.periodSpent == 10)
                #expect(admissions.allSatisfy { if case .overBudget(let wait) = $0 { wait > 0 } else { $0 == .admitted } })
            }
        }
    }

    @Test func aPlainBalanceAtZeroRefusesEvenACallThatHoldsNothing() async throws {
        try await StorageBackend.postgres.withStore { store, _ in
            var changes = KeyChanges()
            changes.balance = 1
            let (_, key) = try await store.createKey(name: "one", limits: changes)
            #expect(try await store.reserve(keyID: key.id, amount: 0, now: 1_800_000_000) == .admitted)
            #expect(try await store.reserve(keyID: key.id, amount: 1, now: 1_800_000_000) == .admitted)
            #expect(try await store.reserve(keyID: key.id, amount: 0, now: 1_800_000_000) == .insufficientBalance(retryAfter: nil))
            #expect(try await store.reserve(keyID: key.id, amount: 0.5, now: 1_800_000_000) == .insufficientBalance(retryAfter: nil))
            #expect(try await store.key(id: key.id)?.balance == 0)
        }
    }

    @Test func replicasStartingTogetherMigrateOnceAndBothWork() async throws {
        let database = StorageBackend.postgres.freshDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<3 { group.addTask { try await Self.open(database) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { for store in stores { store.close() } }
        let (_, key) = try await stores[0].createKey(name: "shared", rpm: nil, models: nil, expiresAt: nil)
        #expect(try await stores[2].key(id: key.id)?.name == "shared")
    }

    @Test func aWrongPasswordNamesTheURLWithoutThePassword() async throws {
        let url = try #require(StorageBackend.postgresURL)
        let wrong = url.replacingOccurrences(of: "chorus:chorus@", with: "chorus:not-the-password@")
        let error = await #expect(throws: StorageError.self) { _ = try await openStorage(database: wrong) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("password authentication failed") && !message.contains("not-the-password"), "\(message)")
    }
}
