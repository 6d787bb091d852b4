import Foundation
import HTTPTypes
import NIOConcurrencyHelpers

/// Turns `Authorization: Bearer …` / `x-api-key: …` into a `Caller`.
///
/// Looked-up keys are cached for `cacheSeconds` (keyed by hash, so the cache holds no secrets): a key lookup stays
/// off the database on the hot path, and a key revoked from the CLI stops working within that time.
public final class Authenticator: Sendable {
    private let store: Store
    private let masterKeyHash: [UInt8]?
    private let cacheSeconds: Double
    private let cache = NIOLockedValueBox([String: (record: APIKeyRecord?, fetched: Double)]())

    public init(store: Store, masterKey: String?, cacheSeconds: Double) {
        self.store = store
        self.masterKeyHash = masterKey.flatMap { $0.isEmpty ? nil : Array(APIKeyHasher.hash($0).utf8) }
        self.cacheSeconds = cacheSeconds
    }

    public static func presentedKey(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                return key.isEmpty ? nil : key
            }
            return nil
        }
        if let name = HTTPField.Name("x-api-key"), let key = headers[name]?.trimmingCharacters(in: .whitespaces), !key.isEmpty {
            return key
        }
        return nil
    }

    public func authenticate(_ headers: HTTPFields) async throws(GatewayError) -> Caller {
        guard let key = Self.presentedKey(in: headers) else { throw .missingKey }
        let hash = APIKeyHasher.hash(key)
        if let masterKeyHash, Self.constantTimeEqual(Array(hash.utf8), masterKeyHash) { return .master }
        let record = try await lookup(hash: hash)
        guard let record else { throw .invalidKey }
        if record.revokedAt != nil { throw .revokedKey }
        if record.isExpired() { throw .expiredKey }
        return Caller(keyID: record.id, name: record.name, isMaster: false, rpm: record.rpm, models: record.models)
    }

    /// True when the headers carry the master key (admin routes).
    public func isMaster(_ headers: HTTPFields) -> Bool {
        guard let masterKeyHash, let key = Self.presentedKey(in: headers) else { return false }
        return Self.constantTimeEqual(Array(APIKeyHasher.hash(key).utf8), masterKeyHash)
    }

    private func lookup(hash: String) async throws(GatewayError) -> APIKeyRecord? {
        let now = Date().timeIntervalSince1970
        if let cached = cache.withLockedValue({ $0[hash] }), now - cached.fetched < cacheSeconds {
            return cached.record
        }
        let record: APIKeyRecord?
        do {
            record = try await store.findKeyAsync(hash: hash)
        } catch {
            throw .internalError("The key store is unavailable.")
        }
        cache.withLockedValue { cache in
            // Bound the cache: unknown keys are cached too (to blunt key-guessing floods), so it must not grow forever.
            if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[hash] = (record, now)
        }
        return record
    }

    public func invalidateCache() { cache.withLockedValue { $0.removeAll() } }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
