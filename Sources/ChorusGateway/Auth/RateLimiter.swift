import Foundation
import NIOConcurrencyHelpers

/// Per-key requests-per-minute as a token bucket: `rpm` requests at once, refilled at rpm/60 per second.
public final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = NIOLockedValueBox([Int64: Bucket]())

    public init() {}

    /// nil when the request may go ahead, otherwise the seconds to wait.
    public func acquire(keyID: Int64, rpm: Int, now: Double = Date().timeIntervalSince1970) -> Int? {
        guard rpm > 0 else { return nil }
        let capacity = Double(rpm)
        let perSecond = capacity / 60
        return buckets.withLockedValue { buckets in
            var bucket = buckets[keyID] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
            defer { buckets[keyID] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}
