import GRDB

extension SQLiteStore {
    /// Versioned migrations. They use table names as strings, never app types, so old migrations never change.
    /// Existing databases were made by these; a schema change is a new migration, never an edit.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-keys-and-logs") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    key_hint TEXT NOT NULL,
                    rpm INTEGER,
                    models TEXT,
                    expires_at DOUBLE,
                    created_at DOUBLE NOT NULL,
                    revoked_at DOUBLE
                );
                CREATE TABLE generation_logs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at DOUBLE NOT NULL,
                    request_id TEXT NOT NULL,
                    key_id INTEGER,
                    model TEXT,
                    provider TEXT,
                    route TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    stream INTEGER NOT NULL DEFAULT 0,
                    prompt_summary TEXT,
                    prompt_tokens INTEGER,
                    completion_tokens INTEGER,
                    total_tokens INTEGER,
                    characters INTEGER,
                    audio_seconds DOUBLE,
                    images INTEGER,
                    image_size TEXT,
                    ttfb_ms DOUBLE,
                    latency_ms DOUBLE NOT NULL,
                    bytes_in INTEGER NOT NULL DEFAULT 0,
                    bytes_out INTEGER NOT NULL DEFAULT 0,
                    error TEXT
                );
                CREATE INDEX generation_logs_created ON generation_logs(created_at);
                CREATE INDEX generation_logs_key ON generation_logs(key_id, created_at);
                """)
        }
        migrator.registerMigration("v2-voices") { db in
            try db.execute(sql: """
                CREATE TABLE voices (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    duration DOUBLE NOT NULL,
                    sample_rate INTEGER NOT NULL,
                    consent TEXT
                );
                """)
        }
        migrator.registerMigration("v3-media") { db in
            try db.execute(sql: """
                CREATE TABLE media (
                    id TEXT PRIMARY KEY,
                    sha256 TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    created_at DOUBLE NOT NULL,
                    expires_at DOUBLE NOT NULL
                );
                CREATE INDEX media_expires ON media(expires_at);
                CREATE INDEX media_sha ON media(sha256);
                """)
        }
        migrator.registerMigration("v4-log-tried") { db in
            try db.execute(sql: "ALTER TABLE generation_logs ADD COLUMN tried TEXT")
        }
        migrator.registerMigration("v5-tenants") { db in
            // Per-key limits and points (issue 13); what each row cost; which key owns a voice or a stored image.
            try db.execute(sql: """
                ALTER TABLE api_keys ADD COLUMN max_concurrency INTEGER;
                ALTER TABLE api_keys ADD COLUMN balance DOUBLE;
                ALTER TABLE api_keys ADD COLUMN balance_reset TEXT;
                ALTER TABLE api_keys ADD COLUMN balance_refill DOUBLE;
                ALTER TABLE api_keys ADD COLUMN balance_reset_at DOUBLE;
                ALTER TABLE api_keys ADD COLUMN budget DOUBLE;
                ALTER TABLE api_keys ADD COLUMN budget_period TEXT;
                ALTER TABLE api_keys ADD COLUMN period_start DOUBLE;
                ALTER TABLE api_keys ADD COLUMN period_spent DOUBLE NOT NULL DEFAULT 0;
                ALTER TABLE api_keys ADD COLUMN spent DOUBLE NOT NULL DEFAULT 0;
                ALTER TABLE generation_logs ADD COLUMN cost DOUBLE;
                ALTER TABLE voices ADD COLUMN owner_key_id INTEGER;
                ALTER TABLE media ADD COLUMN owner_key_id INTEGER;
                CREATE INDEX generation_logs_model ON generation_logs(model, created_at);
                """)
        }
        migrator.registerMigration("v6-log-unauthenticated") { db in
            // Rows of requests that presented no valid key: shown as such, not as the master key's (both have no key id).
            try db.execute(sql: "ALTER TABLE generation_logs ADD COLUMN unauthenticated INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v7-conversations") { db in
            // The LoopGpt-style chat API (issue 14): conversations per key and their messages. A conversation's
            // messages go with it; `owner_key_id` is NULL for the master key's own.
            try db.execute(sql: """
                CREATE TABLE conversations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    owner_key_id INTEGER,
                    title TEXT NOT NULL,
                    model TEXT NOT NULL,
                    created_at DOUBLE NOT NULL,
                    updated_at DOUBLE NOT NULL,
                    message_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX conversations_owner ON conversations(owner_key_id, updated_at);
                CREATE TABLE chat_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    model TEXT,
                    tokens INTEGER,
                    created_at DOUBLE NOT NULL
                );
                CREATE INDEX chat_messages_conversation ON chat_messages(conversation_id, id);
                """)
        }
        migrator.registerMigration("v8-blobs") { db in
            // Voice samples and stored images when `blob_storage: database` (issue 16): one row per blob, named by
            // the gateway (a voice id, a content hash) within its bucket.
            try db.execute(sql: "CREATE TABLE blobs (bucket TEXT NOT NULL, name TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (bucket, name))")
        }
        migrator.registerMigration("v9-usage-entry-id") { db in
            // Each usage row's own identity, so a batch written twice is inserted and settled once (UsageRecord.entryID).
            try db.execute(sql: """
                ALTER TABLE generation_logs ADD COLUMN entry_id TEXT;
                CREATE UNIQUE INDEX generation_logs_entry ON generation_logs(entry_id);
                """)
        }
        migrator.registerMigration("v10-realtime-usage") { db in
            // A realtime session's row (issue 17): the audio tokens within its prompt and completion tokens, and how
            // long it was open.
            try db.execute(sql: """
                ALTER TABLE generation_logs ADD COLUMN input_audio_tokens INTEGER;
                ALTER TABLE generation_logs ADD COLUMN output_audio_tokens INTEGER;
                ALTER TABLE generation_logs ADD COLUMN session_seconds DOUBLE;
                """)
        }
        migrator.registerMigration("v11-rag") { db in
            // RAG datastores (issue 15): per key, public or not; documents and their embedded chunks go with them.
            // A chunk's vector is Float32 little-endian bytes with its norm (RAGVector); `datastore_id` on the chunk
            // lets a search scan one datastore without a join.
            try db.execute(sql: """
                CREATE TABLE rag_datastores (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    owner_key_id INTEGER,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    vectorizer TEXT NOT NULL,
                    is_public INTEGER NOT NULL DEFAULT 0,
                    created_at DOUBLE NOT NULL
                );
                CREATE INDEX rag_datastores_owner ON rag_datastores(owner_key_id);
                CREATE TABLE rag_documents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    datastore_id INTEGER NOT NULL REFERENCES rag_datastores(id) ON DELETE CASCADE,
                    title TEXT NOT NULL,
                    chunk_count INTEGER NOT NULL,
                    characters INTEGER NOT NULL,
                    created_at DOUBLE NOT NULL
                );
                CREATE INDEX rag_documents_datastore ON rag_documents(datastore_id);
                CREATE TABLE rag_chunks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    document_id INTEGER NOT NULL REFERENCES rag_documents(id) ON DELETE CASCADE,
                    datastore_id INTEGER NOT NULL REFERENCES rag_datastores(id) ON DELETE CASCADE,
                    chunk_index INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    vector BLOB NOT NULL,
                    norm DOUBLE NOT NULL
                );
                CREATE INDEX rag_chunks_datastore ON rag_chunks(datastore_id, id);
                CREATE INDEX rag_chunks_document ON rag_chunks(document_id);
                """)
        }
        migrator.registerMigration("v12-media-request") { db in
            // The request that stored an image, so its usage row can link to it (issue 15: the console's logs).
            try db.execute(sql: """
                ALTER TABLE media ADD COLUMN request_id TEXT;
                CREATE INDEX media_request ON media(request_id);
                """)
        }
        return migrator
    }
}
