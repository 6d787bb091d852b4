import Foundation
import NIOConcurrencyHelpers

/// Requests per minute as token buckets, one per key (or one for the whole gateway): `rpm` requests at once,
/// refilled at rpm/60 per second.
public final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = NIOLockedValueBox([Int64: Bucket]())

    public init() {}

    /// Where a bucket stands after a request asked for a token: what the `x-ratelimit-*` headers say.
    public struct Outcome: Sendable, Equatable {
        /// nil when the request may go ahead, otherwise the seconds to wait.
        public var retryAfter: Int?
        public var limit: Int
        public var remaining: Int
        /// Seconds until the bucket is full again.
        public var resetSeconds: Double
    }

    /// Takes a token for `keyID` if there is one.
    public func take(keyID: Int64, rpm: Int, now: Double = Date().timeIntervalSince1970) -> Outcome {
        guard rpm > 0 else { return Outcome(retryAfter: nil, limit: 0, remaining: 0, resetSeconds: 0) }
        let capacity = Double(rpm)
        let perSecond = capacity / 60
        return buckets.withLockedValue { buckets in
            var bucket = buckets[keyID] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
            defer { buckets[keyID] = bucket }
            var retryAfter: Int?
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
            } else {
                retryAfter = max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            return Outcome(retryAfter: retryAfter, limit: rpm, remaining: Int(bucket.tokens.rounded(.down)),
                           resetSeconds: (capacity - bucket.tokens) / perSecond)
        }
    }

    /// nil when the request may go ahead, otherwise the seconds to wait.
    public func acquire(keyID: Int64, rpm: Int, now: Double = Date().timeIntervalSince1970) -> Int? {
        take(keyID: keyID, rpm: rpm, now: now).retryAfter
    }
}
