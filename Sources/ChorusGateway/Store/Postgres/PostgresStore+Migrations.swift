import PostgresNIO

extension PostgresStore {
    /// Versioned migrations, each a list of statements applied in one transaction and recorded in
    /// `chorus_migrations`. A schema change is a new entry, never an edit. The first one is the SQLite schema as its
    /// six migrations left it (PostgreSQL had none of their history); integer columns are BIGINT, reals DOUBLE
    /// PRECISION, flags BOOLEAN.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1-schema", [
            """
            CREATE TABLE api_keys (
                id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, key_hint TEXT NOT NULL,
                rpm BIGINT, models TEXT, expires_at DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL,
                revoked_at DOUBLE PRECISION, max_concurrency BIGINT, balance DOUBLE PRECISION, balance_reset TEXT,
                balance_refill DOUBLE PRECISION, balance_reset_at DOUBLE PRECISION, budget DOUBLE PRECISION,
                budget_period TEXT, period_start DOUBLE PRECISION, period_spent DOUBLE PRECISION NOT NULL DEFAULT 0,
                spent DOUBLE PRECISION NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE generation_logs (
                id BIGSERIAL PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, request_id TEXT NOT NULL, key_id BIGINT,
                model TEXT, provider TEXT, route TEXT NOT NULL, status BIGINT NOT NULL, stream BOOLEAN NOT NULL DEFAULT FALSE,
                prompt_summary TEXT, prompt_tokens BIGINT, completion_tokens BIGINT, total_tokens BIGINT,
                characters BIGINT, audio_seconds DOUBLE PRECISION, images BIGINT, image_size TEXT,
                ttfb_ms DOUBLE PRECISION, latency_ms DOUBLE PRECISION NOT NULL, bytes_in BIGINT NOT NULL DEFAULT 0,
                bytes_out BIGINT NOT NULL DEFAULT 0, error TEXT, tried TEXT, cost DOUBLE PRECISION,
                unauthenticated BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            "CREATE INDEX generation_logs_created ON generation_logs(created_at)",
            "CREATE INDEX generation_logs_key ON generation_logs(key_id, created_at)",
            "CREATE INDEX generation_logs_model ON generation_logs(model, created_at)",
            """
            CREATE TABLE voices (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL, duration DOUBLE PRECISION NOT NULL,
                sample_rate BIGINT NOT NULL, consent TEXT, owner_key_id BIGINT)
            """,
            """
            CREATE TABLE media (
                id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, content_type TEXT NOT NULL, file_name TEXT NOT NULL,
                bytes BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
                owner_key_id BIGINT)
            """,
            "CREATE INDEX media_expires ON media(expires_at)",
            "CREATE INDEX media_sha ON media(sha256)",
        ]),
        ("v2-conversations", [
            """
            CREATE TABLE conversations (
                id BIGSERIAL PRIMARY KEY, owner_key_id BIGINT, title TEXT NOT NULL, model TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL, message_count BIGINT NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX conversations_owner ON conversations(owner_key_id, updated_at)",
            """
            CREATE TABLE chat_messages (
                id BIGSERIAL PRIMARY KEY, conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL, content TEXT NOT NULL, model TEXT, tokens BIGINT, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX chat_messages_conversation ON chat_messages(conversation_id, id)",
        ]),
        ("v3-blobs", [
            // Voice samples and stored images (the default here, so every replica reads what another stored).
            "CREATE TABLE blobs (bucket TEXT NOT NULL, name TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (bucket, name))",
        ]),
        ("v4-usage-entry-id", [
            // Each usage row's own identity: a batch retried after a commit whose reply was lost is inserted and
            // settled once (UsageRecord.entryID).
            "ALTER TABLE generation_logs ADD COLUMN entry_id TEXT",
            "CREATE UNIQUE INDEX generation_logs_entry ON generation_logs(entry_id)",
        ]),
        ("v5-realtime-usage", [
            // A realtime session's row (issue 17): the audio tokens within its prompt and completion tokens, and how
            // long it was open.
            "ALTER TABLE generation_logs ADD COLUMN input_audio_tokens BIGINT",
            "ALTER TABLE generation_logs ADD COLUMN output_audio_tokens BIGINT",
            "ALTER TABLE generation_logs ADD COLUMN session_seconds DOUBLE PRECISION",
        ]),
        ("v6-rag", [
            // RAG datastores (issue 15), as SQLite's v11-rag: vectors are Float32 little-endian bytea with their norm.
            """
            CREATE TABLE rag_datastores (
                id BIGSERIAL PRIMARY KEY, owner_key_id BIGINT, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
                vectorizer TEXT NOT NULL, is_public BOOLEAN NOT NULL DEFAULT FALSE, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX rag_datastores_owner ON rag_datastores(owner_key_id)",
            """
            CREATE TABLE rag_documents (
                id BIGSERIAL PRIMARY KEY, datastore_id BIGINT NOT NULL REFERENCES rag_datastores(id) ON DELETE CASCADE,
                title TEXT NOT NULL, chunk_count BIGINT NOT NULL, characters BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX rag_documents_datastore ON rag_documents(datastore_id)",
            """
            CREATE TABLE rag_chunks (
                id BIGSERIAL PRIMARY KEY, document_id BIGINT NOT NULL REFERENCES rag_documents(id) ON DELETE CASCADE,
                datastore_id BIGINT NOT NULL REFERENCES rag_datastores(id) ON DELETE CASCADE, chunk_index BIGINT NOT NULL,
                text TEXT NOT NULL, vector BYTEA NOT NULL, norm DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX rag_chunks_datastore ON rag_chunks(datastore_id, id)",
            "CREATE INDEX rag_chunks_document ON rag_chunks(document_id)",
        ]),
        ("v7-media-request", [
            // The request that stored an image, so its usage row can link to it (issue 15: the console's logs).
            "ALTER TABLE media ADD COLUMN request_id TEXT",
            "CREATE INDEX media_request ON media(request_id)",
        ]),
    ]

    /// The advisory lock replicas take so that one at a time migrates: this constant and the schema's hash, so
    /// gateways on different schemas of one database do not wait for each other.
    static let migrationLock: Int32 = 0x6368_6f72

    /// Applies what is missing, holding the advisory lock on one connection: replicas starting together wait for
    /// the first to finish instead of racing to create the same tables.
    func migrate() async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock), hashtext(current_schema()))", logger: logger)
            do {
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS chorus_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT name FROM chorus_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in Self.migrations where !applied.contains(migration.name) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.statements {
                            try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await transaction.query("INSERT INTO chorus_migrations (name) VALUES (\(migration.name))", logger: logger)
                    }
                    logger.info("applied migration", metadata: ["chorus.migration": .string(migration.name)])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock), hashtext(current_schema()))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock), hashtext(current_schema()))", logger: logger)
        }
    }
}
