import ChorusWire
import Foundation
import Hummingbird

/// `GET /admin/usage?group_by=key|model|day|route&since=&until=` (master key only): requests, tokens, characters,
/// audio seconds, images, cost and errors per group, summed by the database over the same rows `/admin/logs`
/// lists for the same filters. The window defaults to the last 30 days.
struct UsageReportRoutes: Sendable {
    let services: GatewayServices
    static let defaultWindow: TimeInterval = 30 * 86400

    func register(on admin: RouterGroup<GatewayRequestContext>) {
        admin.get("usage") { request, context in
            try await services.jsonRoute(context) { _, _ in try await report(request, now: Date()) }
        }
    }

    private func report(_ request: Request, now: Date) async throws -> JSONValue {
        let parameters = try QueryParameters(request, allowed: UsageQuery.filterParameters.union(["group_by"]))
        let groupText = parameters.string("group_by") ?? UsageGrouping.model.rawValue
        guard let grouping = UsageGrouping(rawValue: groupText) else {
            throw GatewayError.invalidParameter(
                "group_by", "'group_by' must be one of \(UsageGrouping.allCases.map(\.rawValue).joined(separator: ", ")), not '\(GatewayError.echo(groupText))'.")
        }
        // An explicit `until` alone moves the default window with it: the 30 days before it.
        let until = try parameters.time("until") ?? now
        let query = try UsageQuery(filters: parameters, defaultSince: until.addingTimeInterval(-Self.defaultWindow), defaultUntil: until)
        let totals: [UsageTotals]
        do {
            totals = try await services.store.usageTotals(groupedBy: grouping, query)
        } catch {
            throw GatewayError.internalError("The usage store failed: \(error)")
        }
        var answer: JSONValue = ["object": "list", "group_by": .string(grouping.rawValue)]
        answer.set("since", .number(query.since?.timeIntervalSince1970 ?? 0))
        answer.set("until", .number(query.until?.timeIntervalSince1970 ?? 0))
        answer.set("data", .array(totals.map { Self.object($0, grouping: grouping) }))
        return answer
    }

    static func object(_ totals: UsageTotals, grouping: UsageGrouping) -> JSONValue {
        var json: JSONValue = [:]
        if grouping == .key {
            // A key id, null for the master key, "none" for requests without a valid key.
            json.set("group", totals.group == "none" ? "none" : totals.group.flatMap { Int($0) }.map { .number($0) } ?? .null)
            json.set("name", totals.keyName.map { .string($0) } ?? .null)
        } else {
            json.set("group", totals.group.map { .string($0) } ?? .null)
        }
        let counts: [(String, JSONValue)] = [
            ("requests", .number(totals.requests)), ("prompt_tokens", .number(totals.promptTokens)),
            ("completion_tokens", .number(totals.completionTokens)), ("total_tokens", .number(totals.totalTokens)),
            ("characters", .number(totals.characters)), ("audio_seconds", .number(totals.audioSeconds)),
            ("images", .number(totals.images)), ("cost", .number(totals.cost)), ("errors", .number(totals.errors)),
        ]
        for (name, value) in counts { json.set(name, value) }
        return json
    }
}
