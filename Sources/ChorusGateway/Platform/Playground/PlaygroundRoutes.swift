import ChorusWire
import Foundation
import Hummingbird

/// The playground's own routes beside the `/v1` ones it serves under `/api/playground`:
/// - `GET session`: who the key is (`admin` for the master key) — the console's sign-in check;
/// - `GET requests/{request_id}`: the usage rows of one of the caller's requests of the last hour (every answer
///   names its id in `x-request-id`), for a UI to show what a non-streamed call took and cost. Rows are written in
///   batches, so a row a few hundred milliseconds old may not be there yet: 404 until it is.
struct PlaygroundRoutes: Sendable {
    let services: GatewayServices

    /// How far back `requests/{id}` looks: the window keeps the lookup on the (key, time) index.
    static let lookback: TimeInterval = 3600

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("session") { _, context in
            try await services.jsonRoute(context) { caller, trace in
                trace.markUnpriced()
                return Self.session(caller, hint: try await hint(of: caller))
            }
        }
        group.get("requests/{request_id}") { _, context in
            let id = context.parameters.get("request_id") ?? ""
            return try await services.jsonRoute(context) { caller, trace in
                trace.markUnpriced()
                return try await rows(of: id, caller: caller)
            }
        }
    }

    static func session(_ caller: Caller, hint: String?) -> JSONValue {
        let key: JSONValue = caller.keyID.map { id in
            .object([("id", .number(Int(id))), ("name", .string(caller.name)), ("hint", hint.map { .string("sk-chorus-…\($0)") } ?? .null)])
        } ?? .null
        return .object([("object", "playground.session"), ("admin", .bool(caller.isMaster)), ("key", key)])
    }

    private func hint(of caller: Caller) async throws(GatewayError) -> String? {
        guard let id = caller.keyID else { return nil }
        do { return try await services.store.key(id: id)?.keyHint } catch { throw .internalError("The key store failed: \(error)") }
    }

    private func rows(of requestID: String, caller: Caller) async throws(GatewayError) -> JSONValue {
        guard requestID.hasPrefix("req_"), requestID.count <= 64 else { throw Self.noSuchRequest }
        let query = UsageQuery(key: caller.keyID.map { .key($0) } ?? .master, requestID: requestID,
                               since: Date().addingTimeInterval(-Self.lookback), order: .oldestFirst(after: nil), limit: 100)
        let found: [LogRow]
        do { found = try await services.store.usageRows(query) } catch { throw .internalError("The usage log failed: \(error)") }
        guard !found.isEmpty else { throw Self.noSuchRequest }
        return .object([("object", "list"), ("request_id", .string(requestID)), ("data", .array(found.map(\.json)))])
    }

    static let noSuchRequest = GatewayError.notFound(
        "No request with that id by this key in the last hour (its usage row may not be written yet: rows are written in batches).")
}
