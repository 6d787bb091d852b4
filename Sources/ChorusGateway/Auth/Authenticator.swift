import Foundation
import HTTPTypes
import NIOConcurrencyHelpers

/// Turns `Authorization: Bearer …` / `x-api-key: …` into a `Caller`.
///
/// Looked-up keys are cached for `cacheSeconds` (keyed by hash, so the cache holds no secrets): a key lookup stays
/// off the database on the hot path, and a key revoked from the CLI stops working within that time.
public final class Authenticator: Sendable {
    private let store: any GatewayStorage
    /// The master key's bytes, compared in constant time (hashing it on every request cost more than the check).
    private let masterKey: [UInt8]?
    private let cacheSeconds: Double
    /// `groups:` from the config: a key's model list may name one instead of its models.
    private let groups: [String: [String]]
    private let cache = NIOLockedValueBox([String: (record: APIKeyRecord?, fetched: Double)]())

    public init(store: any GatewayStorage, masterKey: String?, cacheSeconds: Double, groups: [String: [String]] = [:]) {
        self.store = store
        self.groups = groups
        self.masterKey = masterKey.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.cacheSeconds = cacheSeconds
    }

    private static let apiKeyHeader = HTTPField.Name("x-api-key")

    public static func presentedKey(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            // "Bearer" is case-insensitive; surrounding spaces are ignored.
            let utf8 = Array(authorization.utf8)
            guard utf8.count > 7, utf8[6] == 0x20,
                String(decoding: utf8[0..<6], as: UTF8.self).lowercased() == "bearer"
            else { return nil }
            return trimmedSpaces(utf8[7...])
        }
        if let name = apiKeyHeader, let value = headers[name] {
            return trimmedSpaces(ArraySlice(value.utf8))
        }
        return nil
    }

    private static func trimmedSpaces(_ bytes: ArraySlice<UInt8>) -> String? {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice.isEmpty ? nil : String(decoding: slice, as: UTF8.self)
    }

    public func authenticate(_ headers: HTTPFields) async throws(GatewayError) -> Caller {
        guard let key = Self.presentedKey(in: headers) else { throw .missingKey }
        if let masterKey, Self.constantTimeEqual(Array(key.utf8), masterKey) { return .master }
        let record = try await lookup(hash: APIKeyHasher.hash(key))
        guard let record else { throw .invalidKey }
        if record.revokedAt != nil { throw .revokedKey }
        if record.isExpired() { throw .expiredKey }
        let models = record.models.map { names in Set(names.flatMap { groups[$0] ?? [$0] }) }
        return Caller(keyID: record.id, name: record.name, isMaster: false, rpm: record.rpm, models: models,
                      maxConcurrency: record.maxConcurrency, isMetered: record.isMetered)
    }

    /// True when the headers carry the master key (admin routes).
    public func isMaster(_ headers: HTTPFields) -> Bool {
        guard let masterKey, let key = Self.presentedKey(in: headers) else { return false }
        return Self.constantTimeEqual(Array(key.utf8), masterKey)
    }

    private func lookup(hash: String) async throws(GatewayError) -> APIKeyRecord? {
        let now = Date().timeIntervalSince1970
        if let cached = cache.withLockedValue({ $0[hash] }), now - cached.fetched < cacheSeconds {
            return cached.record
        }
        let record: APIKeyRecord?
        do {
            record = try await store.findKey(hash: hash)
        } catch {
            // Without the key the call cannot be authorised: a 503 the client may retry (the database is away,
            // restarting, or out of connections), not a hang and not a 500 that reads like a bug.
            throw .storeUnavailable("key lookup: \(error)")
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
