/// Whether a key's points let a call in (`GatewayStorage.reserve`).
public enum Admission: Sendable, Equatable {
    case admitted
    /// The balance cannot cover the call; `retryAfter` is the seconds to the next refill, when the balance resets.
    case insufficientBalance(retryAfter: Int?)
    /// The budget of the current period is spent; `retryAfter` is the seconds to the next period.
    case overBudget(retryAfter: Int)
}

/// The points arithmetic every storage backend runs inside its own transaction, so it is the same everywhere:
/// periods roll forward, a call is admitted only if the balance and the budget cover what it holds, and a finished
/// call gives back what it held and pays what it cost.
extension APIKeyRecord {
    /// Brings the periods up to `now`: a resetting balance is refilled at each new period, a budget period that
    /// ended starts again at zero.
    public mutating func roll(to now: Double) {
        if let reset = balanceReset {
            let current = reset.start(of: now)
            if (balanceResetAt ?? -.infinity) < current {
                balance = balanceRefill ?? balance
                balanceResetAt = current
            }
        }
        if let period = budgetPeriod {
            let current = period.start(of: now)
            if (periodStart ?? -.infinity) < current {
                periodSpent = 0
                periodStart = current
            }
        }
    }

    /// Holds `amount` points for a call starting at `now`. A call that holds nothing (priced only by what it will
    /// use) still needs a balance above zero and a budget not yet spent.
    public mutating func reserve(_ amount: Double, now: Double) -> Admission {
        roll(to: now)
        if let balance {
            let covered = amount > 0 ? balance >= amount - 1e-9 : balance > 1e-9
            if !covered {
                return .insufficientBalance(retryAfter: balanceReset.map { Self.seconds(from: now, to: $0.next(after: now)) })
            }
        }
        if let budget, let period = budgetPeriod {
            let covered = amount > 0 ? periodSpent + amount <= budget + 1e-9 : periodSpent < budget - 1e-9
            if !covered { return .overBudget(retryAfter: Self.seconds(from: now, to: period.next(after: now))) }
        }
        if balance != nil { balance? -= amount }
        if budget != nil { periodSpent += amount }
        return .admitted
    }

    /// A finished call: what it held comes back, what it cost is paid. The balance may go below zero by this
    /// call's overrun of what it held, never by more.
    public mutating func settle(reserved: Double, cost: Double) {
        if balance != nil { balance? += reserved - cost }
        periodSpent = max(0, periodSpent + cost - reserved)
        spent += cost
    }

    private static func seconds(from now: Double, to then: Double) -> Int { max(1, Int((then - now).rounded(.up))) }
}
