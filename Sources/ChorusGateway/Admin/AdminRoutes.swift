import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// `/admin/...`, master key only: keys (list, create — the key is in the answer once —, revoke) and recent usage
/// rows. The same operations as `chorus keys` and `chorus logs`, for a running server.
struct AdminRoutes: Sendable {
    let services: GatewayServices

    /// `group` is guarded by the master key (`MasterKeyMiddleware`).
    func register(on admin: RouterGroup<GatewayRequestContext>) {
        admin.get("keys") { _, context in try await services.jsonRoute(context) { _, _ in try await listKeys() } }
        admin.post("keys") { request, context in
            try await services.jsonRoute(context) { _, trace in try await createKey(request, trace: trace) }
        }
        admin.get("keys/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            return try await services.jsonRoute(context) { _, _ in try await showKey(id) }
        }
        admin.patch("keys/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await services.jsonRoute(context) { _, trace in try await updateKey(id, request, trace: trace) }
        }
        admin.delete("keys/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            return try await services.jsonRoute(context) { _, _ in try await revokeKey(id) }
        }
        admin.get("logs") { request, context in
            try await services.jsonRoute(context) { _, _ in
                try await logs(limit: request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100)
            }
        }
    }

    /// A storage failure is a 500 that names the store, never a 404 or a half answer.
    private func store<T>(_ work: (any GatewayStorage) async throws -> T) async throws(GatewayError) -> T {
        do { return try await work(services.store) } catch { throw .internalError("The key store failed: \(error)") }
    }

    static func object(_ key: APIKeyRecord) -> JSONValue {
        let status = key.revokedAt != nil ? "revoked" : key.isExpired() ? "expired" : "active"
        var json: JSONValue = [
            "id": .number(Int(key.id)), "object": "api_key", "name": .string(key.name), "hint": .string("sk-chorus-…\(key.keyHint)"),
            "created_at": .number(Int(key.createdAt.timeIntervalSince1970)), "status": .string(status),
        ]
        json.set("rpm", key.rpm.map { .number($0) } ?? .null)
        json.set("models", key.models.map { .array($0.map { .string($0) }) } ?? .null)
        json.set("expires_at", key.expiresAt.map { .number(Int($0.timeIntervalSince1970)) } ?? .null)
        json.set("revoked_at", key.revokedAt.map { .number(Int($0.timeIntervalSince1970)) } ?? .null)
        json.set("max_concurrency", key.maxConcurrency.map { .number($0) } ?? .null)
        json.set("balance", key.balance.map { .number($0) } ?? .null)
        json.set("balance_reset", key.balanceReset.map { .string($0.rawValue) } ?? .null)
        json.set("balance_refill", key.balanceRefill.map { .number($0) } ?? .null)
        json.set("budget", key.budget.map { .number($0) } ?? .null)
        json.set("budget_period", key.budgetPeriod.map { .string($0.rawValue) } ?? .null)
        json.set("period_spent", .number(key.periodSpent))
        json.set("spend", .number(key.spent))
        return json
    }

    private func listKeys() async throws -> JSONValue {
        let keys = try await store { try await $0.listKeys() }
        return ["object": "list", "data": .array(keys.map(Self.object))]
    }

    /// `{name, rpm?, models?, expires_at?, max_concurrency?, balance?, balance_reset?, balance_refill?, budget?,
    /// budget_period?}` (`KeyChanges(json:)`); the key is in this answer and nowhere else, ever.
    private func createKey(_ request: Request, trace: RequestTrace) async throws -> JSONValue {
        var request = request
        let json = try services.parseJSONObject(try await services.collectBody(&request, limit: 64 * 1024, trace: trace))
        let name = try json.requiredString("name")
        let limits = try KeyChanges(json: json)
        let (key, record) = try await store { try await $0.createKey(name: name, limits: limits) }
        var answer = Self.object(record)
        answer.set("key", .string(key))
        return answer
    }

    /// Balance, spend and limits. Usage rows still in memory are written first, so the spend includes every call
    /// that has finished.
    private func showKey(_ text: String) async throws -> JSONValue {
        guard let id = Int64(text) else { throw GatewayError.notFound("No key with id '\(GatewayError.echo(text))'.") }
        await services.usageLog.flush()
        guard let key = try await store({ try await $0.key(id: id) }) else {
            throw GatewayError.notFound("No key with id '\(id)'.")
        }
        return Self.object(key)
    }

    private func updateKey(_ text: String, _ request: Request, trace: RequestTrace) async throws -> JSONValue {
        guard let id = Int64(text) else { throw GatewayError.notFound("No key with id '\(GatewayError.echo(text))'.") }
        var request = request
        let changes = try KeyChanges(json: try services.parseJSONObject(try await services.collectBody(&request, limit: 64 * 1024, trace: trace)))
        let now = Date().timeIntervalSince1970
        guard let key = try await store({ try await $0.updateKey(id: id, changes, now: now) }) else {
            throw GatewayError.notFound("No key with id '\(id)'.")
        }
        // New limits apply to the next request, not after the cache expires.
        services.authenticator.invalidateCache()
        return Self.object(key)
    }

    private func revokeKey(_ text: String) async throws -> JSONValue {
        guard let id = Int64(text) else { throw GatewayError.notFound("No key with id '\(text)'.") }
        guard try await store({ try await $0.revokeKey(id: id) }) else { throw GatewayError.notFound("No key with id '\(text)'.") }
        // A revoked key must stop working now, not after the cache expires.
        services.authenticator.invalidateCache()
        return ["id": .number(Int(id)), "object": "api_key", "revoked": true]
    }

    private func logs(limit: Int) async throws -> JSONValue {
        let rows = try await store { try await $0.recentUsage(limit: max(1, min(limit, 1000))) }
        return ["object": "list", "data": .array(rows.map { row in
            var json: JSONValue = [
                "id": .number(Int(row.id)), "created_at": .number(row.createdAt.timeIntervalSince1970), "request_id": .string(row.requestID),
                "route": .string(row.route), "status": .number(row.status), "stream": .bool(row.stream), "latency_ms": .number(row.latencyMs),
                "bytes_in": .number(row.bytesIn), "bytes_out": .number(row.bytesOut),
            ]
            let optional: [(String, JSONValue?)] = [
                ("key_id", row.keyID.map { .number(Int($0)) }), ("model", row.model.map { .string($0) }),
                ("provider", row.provider.map { .string($0) }), ("prompt_summary", row.promptSummary.map { .string($0) }),
                ("prompt_tokens", row.promptTokens.map { .number($0) }), ("completion_tokens", row.completionTokens.map { .number($0) }),
                ("total_tokens", row.totalTokens.map { .number($0) }), ("characters", row.characters.map { .number($0) }),
                ("audio_seconds", row.audioSeconds.map { .number($0) }), ("images", row.images.map { .number($0) }),
                ("image_size", row.imageSize.map { .string($0) }), ("ttfb_ms", row.ttfbMs.map { .number($0) }),
                ("error", row.error.map { .string($0) }),
            ]
            for (name, value) in optional { json.set(name, value ?? .null) }
            return json
        })]
    }
}
