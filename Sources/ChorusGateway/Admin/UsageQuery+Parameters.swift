import Foundation

extension UsageQuery {
    /// The filters `/admin/logs` and `/admin/usage` share.
    static let filterParameters: Set<String> = ["key_id", "model", "route", "request_id", "status", "since", "until"]

    /// `key_id` (a key's id, `master`, or `none` for requests without a valid key), `model`, `route` (exact), `request_id`, `status` (`429` or `4xx`), `since`, `until`
    /// (Unix seconds or `YYYY-MM-DD`, UTC; since ≤ until).
    init(filters parameters: QueryParameters, defaultSince: Date? = nil, defaultUntil: Date? = nil) throws {
        self.init()
        if let text = parameters.string("key_id") {
            if text == "master" {
                key = .master
            } else if text == "none" {
                key = .unauthenticated
            } else if let id = Int64(text), id > 0 {
                key = .key(id)
            } else {
                throw GatewayError.invalidParameter("key_id", "'key_id' must be a key's id, 'master', or 'none' (no valid key).")
            }
        }
        model = parameters.string("model")
        route = parameters.string("route")
        requestID = parameters.string("request_id")
        if let text = parameters.string("status") {
            status = try Self.status(text)
        }
        since = try parameters.time("since") ?? defaultSince
        until = try parameters.time("until") ?? defaultUntil
        if let since, let until, since > until {
            throw GatewayError.invalidParameter("since", "'since' is after 'until'.")
        }
    }

    private static func status(_ text: String) throws -> StatusMatch {
        let lower = text.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let digit = lower.first?.wholeNumberValue, (1...5).contains(digit) {
            return .class(digit)
        }
        if let exact = Int(text), (100...599).contains(exact) { return .exact(exact) }
        throw GatewayError.invalidParameter("status", "'status' must be a status from 100 to 599 or a class such as 4xx.")
    }
}
