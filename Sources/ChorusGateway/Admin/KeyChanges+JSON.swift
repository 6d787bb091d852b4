import ChorusWire
import Foundation

extension KeyChanges {
    static let jsonFields: Set<String> = [
        "name", "rpm", "models", "expires_at", "max_concurrency", "balance", "balance_reset", "balance_refill", "budget",
        "budget_period",
    ]

    /// `POST /admin/keys` and `PATCH /admin/keys/{id}` bodies: a member that is absent is kept, `null` clears it,
    /// anything of the wrong type or out of range is a 400 naming it, and so is a member Chorus does not know.
    init(json: JSONValue) throws(GatewayError) {
        self.init()
        guard let members = json.objectValue else { throw .invalidRequest("The body must be a JSON object.") }
        for (name, _) in members where !Self.jsonFields.contains(name) {
            throw .invalidParameter(name, "Unknown field '\(GatewayError.echo(name))'; keys have: \(Self.jsonFields.sorted().joined(separator: ", ")).")
        }
        if let value = json["name"] {
            guard let text = value.stringValue, !text.isEmpty, text.count <= 200 else {
                throw .invalidParameter("name", "'name' must be a string of 1–200 characters.")
            }
            name = text
        }
        maxConcurrency = try Self.member(json, "max_concurrency", "a positive integer") { $0.intValue.flatMap { $0 > 0 ? $0 : nil } }
        rpm = try Self.member(json, "rpm", "a positive integer") { $0.intValue.flatMap { $0 > 0 ? $0 : nil } }
        models = try Self.member(json, "models", "a list of model names") { value in
            guard let list = value.arrayValue else { return nil }
            let names = list.compactMap(\.stringValue)
            return names.count == list.count ? names : nil
        }
        expiresAt = try Self.member(json, "expires_at", "a Unix time in seconds") { value in
            value.doubleValue.flatMap { $0.isFinite && $0 >= 0 ? Date(timeIntervalSince1970: $0) : nil }
        }
        balance = try Self.member(json, "balance", "a number of points from 0 to 1e9", Self.points)
        balanceRefill = try Self.member(json, "balance_refill", "a number of points from 0 to 1e9", Self.points)
        budget = try Self.member(json, "budget", "a number of points from 0 to 1e9", Self.points)
        balanceReset = try Self.member(json, "balance_reset", "'daily' or 'monthly'") { $0.stringValue.flatMap(KeyPeriod.init(rawValue:)) }
        budgetPeriod = try Self.member(json, "budget_period", "'daily' or 'monthly'") { $0.stringValue.flatMap(KeyPeriod.init(rawValue:)) }
    }

    private static func points(_ value: JSONValue) -> Double? {
        value.doubleValue.flatMap { $0.isFinite && $0 >= 0 && $0 <= KeyChanges.maxPoints ? $0 : nil }
    }

    /// nil: absent (keep); `.some(nil)`: null (clear); `.some(v)`: set.
    private static func member<T>(_ json: JSONValue, _ name: String, _ expected: String = "valid",
                                  _ read: (JSONValue) -> T?) throws(GatewayError) -> T?? {
        guard let value = json[name] else { return nil }
        if value.isNull { return .some(nil) }
        guard let parsed = read(value) else { throw .invalidParameter(name, "'\(name)' must be \(expected).") }
        return .some(parsed)
    }
}
