import Foundation

/// What `PATCH /admin/keys/{id}` and `chorus keys update` change on a key (and `create` sets): a field left nil is
/// kept, `.some(nil)` clears it.
public struct KeyChanges: Sendable, Equatable {
    public var name: String?
    public var rpm: Int??
    public var models: [String]??
    public var expiresAt: Date??
    public var maxConcurrency: Int??
    public var balance: Double??
    public var balanceReset: KeyPeriod??
    public var balanceRefill: Double??
    public var budget: Double??
    public var budgetPeriod: KeyPeriod??

    public init() {}

    /// The largest balance, refill or budget: points are doubles kept to a millionth (`ModelPrice.cost`), which
    /// stays exact up to here (above ~1e9 a double's step passes a millionth and small charges would round away).
    public static let maxPoints = 1e9

    /// Applies the changes at `now` (Unix seconds). A reset or budget period that is set or changed starts with the
    /// current period: a refill happens at the next period's start, a budget counts from zero.
    public func apply(to key: inout APIKeyRecord, now: Double) {
        if let name { key.name = name }
        if let rpm { key.rpm = rpm }
        if let models { key.models = models }
        if let expiresAt { key.expiresAt = expiresAt }
        if let maxConcurrency { key.maxConcurrency = maxConcurrency }
        if let balance { key.balance = balance }
        if let balanceRefill { key.balanceRefill = balanceRefill }
        if let balanceReset, balanceReset != key.balanceReset {
            key.balanceReset = balanceReset
            key.balanceResetAt = balanceReset.map { $0.start(of: now) }
        }
        if let budget { key.budget = budget }
        if let budgetPeriod, budgetPeriod != key.budgetPeriod {
            key.budgetPeriod = budgetPeriod
            key.periodStart = budgetPeriod.map { $0.start(of: now) }
            key.periodSpent = 0
        }
        if key.budget != nil, key.budgetPeriod == nil {
            // A budget without a period is a monthly one.
            key.budgetPeriod = .monthly
            key.periodStart = KeyPeriod.monthly.start(of: now)
            key.periodSpent = 0
        }
        if key.balanceReset != nil, key.balanceRefill == nil { key.balanceRefill = key.balance }
    }
}
