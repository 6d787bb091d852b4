/// One replica's part of a limit that every replica counts in its own memory (requests per minute, open
/// requests): with `server.replicas` = n behind a balancer that spreads calls evenly, each admits ⌈limit / n⌉, so
/// all together admit the limit (rounded up by at most n − 1; a limit below n is 1 per replica). Uneven spreading
/// refuses early on a busy replica rather than admitting more than the limit; docs/deployment.md says so.
struct ReplicaShare: Sendable {
    let replicas: Int

    init(replicas: Int) { self.replicas = max(1, replicas) }

    func of(_ limit: Int) -> Int {
        replicas == 1 || limit <= 0 ? limit : max(1, (limit + replicas - 1) / replicas)
    }

    /// What this replica's bucket says, told as the whole limit: the key's `limit`, and what is left here scaled
    /// to all replicas (never above the limit).
    func whole(_ outcome: RateLimiter.Outcome, limit: Int) -> RateLimiter.Outcome {
        guard replicas > 1 else { return outcome }
        var whole = outcome
        whole.limit = limit
        whole.remaining = min(limit, outcome.remaining * replicas)
        return whole
    }
}
