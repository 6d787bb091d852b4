import CThreadShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable pthread running one closure. The closure names the thread itself, since a Linux
/// thread inherits its creator's name.
final class WorkerThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    #if canImport(Glibc)
    private var handle = pthread_t()
    #else
    private var handle: pthread_t?
    #endif
    private var joined = false

    init(name: String, _ body: @escaping () -> Void) throws {
        let box = Unmanaged.passRetained(Box {
            chorus_set_thread_name(name)
            body()
        })
        let result = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if result != 0 {
            box.release()
            joined = true
            throw AudioError.corrupt("cannot start a decoder thread (error \(result))")
        }
    }

    /// Waits for the closure to return. Safe to call more than once, from the owner's thread
    /// (never from the closure itself).
    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Glibc)
        pthread_join(handle, nil)
        #else
        if let handle { pthread_join(handle, nil) }
        #endif
    }

    deinit { join() }
}
