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
            try await services.jsonRoute(context) { _, _ in try await logs(request) }
        }
        UsageReportRoutes(services: services).register(on: admin)
    }

    /// The images the rows' requests stored that are still there, by request id: `{"id", "url", "content_type",
    /// "bytes", "expires_at"}` each, so a log viewer can show them while they last.
    private func storedMedia(of requestIDs: [String]) async throws(GatewayError) -> [String: [JSONValue]] {
        let now = Date().timeIntervalSince1970
        let records = try await store { try await $0.media(requestIDs: Array(Set(requestIDs))) }
        var media: [String: [JSONValue]] = [:]
        for record in records where record.expiresAt > now {
            guard let requestID = record.requestID else { continue }
            media[requestID, default: []].append(.object([
                ("id", .string(record.id)),
                ("url", .string(services.config.server.publicURL + "/v1/media/" + record.id)),
                ("content_type", .string(record.contentType)),
                ("bytes", .number(record.bytes)),
                ("expires_at", .number(Int(record.expiresAt))),
            ]))
        }
        return media
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
        // Points to a millionth, as rows are priced: sums of doubles otherwise show as 0.00022999999999999995.
        func points(_ value: Double) -> JSONValue { .number((value * 1_000_000).rounded() / 1_000_000) }
        json.set("balance", key.balance.map(points) ?? .null)
        json.set("balance_reset", key.balanceReset.map { .string($0.rawValue) } ?? .null)
        json.set("balance_refill", key.balanceRefill.map(points) ?? .null)
        json.set("budget", key.budget.map(points) ?? .null)
        json.set("budget_period", key.budgetPeriod.map { .string($0.rawValue) } ?? .null)
        json.set("period_spent", points(key.periodSpent))
        json.set("spend", points(key.spent))
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
        // Finished calls settle first, so a balance set now is not followed by their holds coming back.
        await services.usageLog.flush()
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

    /// Usage rows newest first, filtered (`UsageQuery.init(filters:)`), a page of `limit` (1–1000, default 100)
    /// at a time: `before` is the previous page's `next_before`, so paging never skips or repeats a row, even while
    /// new rows arrive.
    private func logs(_ request: Request) async throws -> JSONValue {
        let parameters = try QueryParameters(request, allowed: UsageQuery.filterParameters.union(["limit", "before"]))
        var query = try UsageQuery(filters: parameters)
        let limit = try parameters.int("limit", in: 1...1000) ?? 100
        let before = try parameters.int("before", in: 1...Int.max).map { Int64($0) }
        query.order = .newestFirst(before: before)
        // One row more than the page says whether there is another page, without a count over the table.
        query.limit = limit + 1
        let rows = try await store { try await $0.usageRows(query) }
        let page = rows.prefix(limit)
        let hasMore = rows.count > limit
        let media = try await storedMedia(of: page.map(\.requestID))
        let data: [JSONValue] = page.map { row in
            var json = row.json
            if let images = media[row.requestID] { json.set("media", .array(images)) }
            return json
        }
        var answer: JSONValue = ["object": "list", "data": .array(data), "has_more": .bool(hasMore)]
        answer.set("next_before", hasMore ? page.last.map { JSONValue.number(Int($0.id)) } ?? .null : .null)
        return answer
    }
}
