import Foundation

/// An API key as stored (`api_keys`): the SHA-256 of the key, never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    /// Assigned by the storage on insert.
    public var id: Int64
    public var name: String
    public var keyHash: String
    /// The key's last four characters, so a person can tell keys apart in `chorus keys list`.
    public var keyHint: String
    public var rpm: Int?
    /// nil = every model.
    public var models: [String]?
    public var expiresAt: Date?
    public var createdAt: Date
    public var revokedAt: Date?
    /// Requests (streams included) the key may have open at once; nil = no limit.
    public var maxConcurrency: Int?
    /// Points left; nil = no balance kept (calls are not refused for points, only their cost is recorded).
    public var balance: Double?
    /// When set, `balance` is set back to `balanceRefill` at the start of every day / month (UTC).
    public var balanceReset: KeyPeriod?
    public var balanceRefill: Double?
    /// Start of the balance period the refill last happened in (Unix seconds).
    public var balanceResetAt: Double?
    /// Points the key may spend per `budgetPeriod`, whatever its balance; nil = no budget.
    public var budget: Double?
    public var budgetPeriod: KeyPeriod?
    /// Start of the budget period `periodSpent` counts (Unix seconds).
    public var periodStart: Double?
    /// Points spent (and held for calls in flight) in the budget period.
    public var periodSpent = 0.0
    /// Points spent over the key's life.
    public var spent = 0.0

    public init(id: Int64, name: String, keyHash: String, keyHint: String, rpm: Int?, models: [String]?,
                expiresAt: Date?, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.keyHint = keyHint
        self.rpm = rpm
        self.models = models
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public func allows(model: String) -> Bool { models.map { $0.contains(model) } ?? true }

    public func isExpired(now: Date = Date()) -> Bool { expiresAt.map { $0 <= now } ?? false }

    /// Whether calls must be admitted against points (a balance or a budget).
    public var isMetered: Bool { balance != nil || budget != nil }
}

/// A day or a month, UTC: when a balance refills and what a budget covers.
public enum KeyPeriod: String, Sendable, CaseIterable, Codable {
    case daily, monthly

    /// The start of the period `date` (Unix seconds) falls in.
    public func start(of date: Double) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let day = Date(timeIntervalSince1970: date)
        let components = calendar.dateComponents(self == .daily ? [.year, .month, .day] : [.year, .month], from: day)
        return calendar.date(from: components)?.timeIntervalSince1970 ?? date
    }

    /// The start of the next period after the one `date` falls in.
    public func next(after date: Double) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let start = Date(timeIntervalSince1970: start(of: date))
        let next = calendar.date(byAdding: self == .daily ? .day : .month, value: 1, to: start)
        return next?.timeIntervalSince1970 ?? date + 86400
    }
}

/// The columns are the coding keys. `models` is one comma-separated text column (as the v1 migration made it),
/// and `id` is encoded only once the database has assigned it. Optionals use `encodeIfPresent`, which a
/// record encoder turns into NULL.
extension APIKeyRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name
        case keyHash = "key_hash"
        case keyHint = "key_hint"
        case rpm, models
        case expiresAt = "expires_at"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case maxConcurrency = "max_concurrency"
        case balance
        case balanceReset = "balance_reset"
        case balanceRefill = "balance_refill"
        case balanceResetAt = "balance_reset_at"
        case budget
        case budgetPeriod = "budget_period"
        case periodStart = "period_start"
        case periodSpent = "period_spent"
        case spent
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        keyHash = try container.decode(String.self, forKey: .keyHash)
        keyHint = try container.decode(String.self, forKey: .keyHint)
        rpm = try container.decodeIfPresent(Int.self, forKey: .rpm)
        models = try container.decodeIfPresent(String.self, forKey: .models).map { $0.split(separator: ",").map(String.init) }
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        revokedAt = try container.decodeIfPresent(Date.self, forKey: .revokedAt)
        maxConcurrency = try container.decodeIfPresent(Int.self, forKey: .maxConcurrency)
        balance = try container.decodeIfPresent(Double.self, forKey: .balance)
        balanceReset = try container.decodeIfPresent(String.self, forKey: .balanceReset).flatMap(KeyPeriod.init(rawValue:))
        balanceRefill = try container.decodeIfPresent(Double.self, forKey: .balanceRefill)
        balanceResetAt = try container.decodeIfPresent(Double.self, forKey: .balanceResetAt)
        budget = try container.decodeIfPresent(Double.self, forKey: .budget)
        budgetPeriod = try container.decodeIfPresent(String.self, forKey: .budgetPeriod).flatMap(KeyPeriod.init(rawValue:))
        periodStart = try container.decodeIfPresent(Double.self, forKey: .periodStart)
        periodSpent = try container.decodeIfPresent(Double.self, forKey: .periodSpent) ?? 0
        spent = try container.decodeIfPresent(Double.self, forKey: .spent) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // A draft (id 0) leaves the id to the database; a stored key names itself, so an update finds its row.
        if id != 0 { try container.encode(id, forKey: .id) }
        try container.encode(name, forKey: .name)
        try container.encode(keyHash, forKey: .keyHash)
        try container.encode(keyHint, forKey: .keyHint)
        try container.encodeIfPresent(rpm, forKey: .rpm)
        try container.encodeIfPresent(models.map { $0.joined(separator: ",") }, forKey: .models)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(maxConcurrency, forKey: .maxConcurrency)
        try container.encodeIfPresent(balance, forKey: .balance)
        try container.encodeIfPresent(balanceReset?.rawValue, forKey: .balanceReset)
        try container.encodeIfPresent(balanceRefill, forKey: .balanceRefill)
        try container.encodeIfPresent(balanceResetAt, forKey: .balanceResetAt)
        try container.encodeIfPresent(budget, forKey: .budget)
        try container.encodeIfPresent(budgetPeriod?.rawValue, forKey: .budgetPeriod)
        try container.encodeIfPresent(periodStart, forKey: .periodStart)
        try container.encode(periodSpent, forKey: .periodSpent)
        try container.encode(spent, forKey: .spent)
    }
}
