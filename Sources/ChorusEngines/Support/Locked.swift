import Foundation

/// A value guarded by a lock. Foundation's `NSLock` rather than `Synchronization.Mutex` because the package
/// still supports macOS 14, where `Mutex` is unavailable.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
