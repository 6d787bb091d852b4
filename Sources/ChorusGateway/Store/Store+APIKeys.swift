import Crypto
import Foundation
import GRDB

extension Store {
    /// Creates a key and returns it with its record. The plaintext exists only in this return value.
    public func createKey(name: String, rpm: Int?, models: [String]?, expiresAt: Date?) throws -> (key: String, record: APIKeyRecord) {
        let key = APIKeyHasher.generateKey()
        let hash = APIKeyHasher.hash(key)
        let hint = String(key.suffix(4))
        let now = Date()
        let modelList = models.map { $0.joined(separator: ",") }
        let id = try pool.write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (name, key_hash, key_hint, rpm, models, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [name, hash, hint, rpm, modelList, expiresAt?.timeIntervalSince1970, now.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
        let record = APIKeyRecord(id: id, name: name, keyHash: hash, keyHint: hint, rpm: rpm, models: models,
                                  expiresAt: expiresAt, createdAt: now, revokedAt: nil)
        return (key, record)
    }

    public func listKeys() throws -> [APIKeyRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map(Self.keyRecord)
        }
    }

    /// Marks a key revoked; false when there is no such key or it already was.
    public func revokeKey(id: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           arguments: [Date().timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    public func findKey(hash: String) throws -> APIKeyRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE key_hash = ?", arguments: [hash]).map(Self.keyRecord)
        }
    }

    static func keyRecord(_ row: Row) -> APIKeyRecord {
        let models: String? = row["models"]
        return APIKeyRecord(
            id: row["id"],
            name: row["name"],
            keyHash: row["key_hash"],
            keyHint: row["key_hint"],
            rpm: row["rpm"],
            models: models.map { $0.split(separator: ",").map(String.init) },
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}

/// Key generation and hashing. Keys are `sk-chorus-` + 40 base62 characters (≈238 bits) from the system CSPRNG.
public enum APIKeyHasher {
    public static let prefix = "sk-chorus-"

    public static func generateKey() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { byte in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }.joined()
    }
}

extension Store {
    /// The same lookup off the calling thread (GRDB's async read), for the request path.
    func findKeyAsync(hash: String) async throws -> APIKeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE key_hash = ?", arguments: [hash]).map(Self.keyRecord)
        }
    }
}
