/// Hands a non-Sendable value to another task that is its only user from then on (a single-consumer iterator moved
/// into a response body, a middleware's `next` run by a child task its caller waits for). The caller vouches for
/// the exclusivity the compiler cannot see.
struct UnsafeTransfer<Wrapped>: @unchecked Sendable {
    var value: Wrapped
    init(_ value: Wrapped) { self.value = value }
}
