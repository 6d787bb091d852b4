import Foundation

/// A fixed set of dedicated threads, each owning one thread-confined `Resource` (an espeak-ng session, a
/// pocketsphinx decoder), pulling jobs from one shared FIFO queue (a locked array plus a condition variable).
///
/// Blocking C work runs here, never on an event loop or on the Swift cooperative pool. Each resource is
/// created on its own thread when the pool starts and released on that thread when the pool stops, so a
/// resource never leaves its thread. The threads keep the pool alive until ``shutdown()``; owners call it.
final class WorkerPool<Resource>: @unchecked Sendable {
    /// A unit of work. `run` gets the thread's resource; `drop` is called instead if the pool shuts down
    /// before the job started. Exactly one of the two is called, once.
    struct Job: Sendable {
        var run: @Sendable (Resource) -> Void
        var drop: @Sendable () -> Void
    }

    private struct State {
        var queue: [Job?] = []  // consumed slots are nil'ed so a finished job's captures are released
        var head = 0
        var accepting = true
        var reported = 0  // threads that made their resource or failed to
        var exited = 0
        var startupError: (any Error)?
    }

    let name: String
    let threadCount: Int
    private let condition = NSCondition()
    private var state = State()  // guarded by `condition`

    /// Starts `count` threads and blocks until each has made its resource. If any resource fails, the
    /// threads that did start are stopped and joined, and the first error is thrown.
    init(name: String, count: Int, makeResource: @escaping @Sendable (Int) throws -> Resource) throws {
        self.name = name
        self.threadCount = max(1, count)
        for index in 0..<threadCount {
            let threadName = threadCount == 1 ? name : "\(name)-\(index)"
            let thread = Thread { [self] in
                // A Linux Thread inherits its creator's name: set it here, inside the body.
                Thread.current.name = threadName
                self.threadMain(index: index, makeResource: makeResource)
            }
            thread.start()
        }
        condition.lock()
        while state.reported < threadCount { condition.wait() }
        let error = state.startupError
        condition.unlock()
        if let error {
            shutdown()
            join()
            throw error
        }
    }

    private func threadMain(index: Int, makeResource: @Sendable (Int) throws -> Resource) {
        do {
            let resource = try makeResource(index)
            condition.lock()
            state.reported += 1
            condition.broadcast()
            condition.unlock()
            runJobs(resource)
            // `resource` is released at the end of this scope, on this thread.
        } catch {
            condition.lock()
            if state.startupError == nil { state.startupError = error }
            state.reported += 1
            condition.unlock()
        }
        condition.lock()
        state.exited += 1
        condition.broadcast()
        condition.unlock()
    }

    private func runJobs(_ resource: Resource) {
        while true {
            condition.lock()
            while state.head == state.queue.count && state.accepting { condition.wait() }
            guard state.head < state.queue.count else {
                condition.unlock()
                return
            }
            let job = state.queue[state.head]
            state.queue[state.head] = nil
            state.head += 1
            if state.head == state.queue.count {
                state.queue.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 64 && state.head * 2 >= state.queue.count {
                state.queue.removeFirst(state.head)
                state.head = 0
            }
            condition.unlock()
            job?.run(resource)
        }
    }

    /// Queues a job; returns false (and calls nothing) if the pool is shutting down.
    @discardableResult
    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state.accepting else { return false }
        state.queue.append(job)
        condition.signal()
        return true
    }

    /// Number of jobs waiting for a thread.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return state.queue.count - state.head
    }

    /// Stops accepting jobs and drops the queued ones (their `drop` runs on the caller). Jobs already running
    /// finish (they watch their own cancellation flags); then the threads release their resources and exit.
    /// Does not wait: see ``join()``.
    func shutdown() {
        condition.lock()
        state.accepting = false
        let dropped = state.queue[state.head...]
        state.queue = []
        state.head = 0
        condition.broadcast()
        condition.unlock()
        for job in dropped { job?.drop() }
    }

    /// Blocks until every thread has exited (after ``shutdown()``). Never call it from one of the pool's threads.
    func join() {
        condition.lock()
        while state.exited < threadCount { condition.wait() }
        condition.unlock()
    }
}
