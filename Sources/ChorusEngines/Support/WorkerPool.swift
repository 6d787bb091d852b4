import Foundation
import NIOConcurrencyHelpers

/// A fixed set of dedicated threads, each owning one thread-confined `Resource` (an espeak-ng session, a
/// pocketsphinx decoder), pulling jobs from one shared FIFO queue.
///
/// Blocking C work runs here, never on an event loop or on the Swift cooperative pool. Each resource is
/// created on its own thread when the pool starts and released on that thread when the pool stops, so a
/// resource never leaves its thread. The threads keep the pool alive until ``shutdown()``; owners call it.
///
/// Three things are waited for, each with its own NIO `ConditionLock` whose value is what the waiter waits
/// for: a job (or the shutdown) for the pool's threads, every thread's start for `init`, every thread's exit
/// for ``join()``.
final class WorkerPool<Resource>: @unchecked Sendable {
    /// A unit of work. `run` gets the thread's resource; `drop` is called instead if the pool shuts down
    /// before the job started. Exactly one of the two is called, once.
    struct Job: Sendable {
        var run: @Sendable (Resource) -> Void
        var drop: @Sendable () -> Void
    }

    private struct Queue {
        var jobs: [Job?] = []  // consumed slots are nil'ed so a finished job's captures are released
        var head = 0
        var accepting = true

        /// What the pool's threads wait for: a job to run, or the shutdown that makes them exit.
        var wakesThreads: Bool { self.head < self.jobs.count || !self.accepting }
    }

    let name: String
    let threadCount: Int
    /// Value: whether a thread has something to do (`Queue.wakesThreads`). Guards `queue`.
    private let work = ConditionLock(value: false)
    private var queue = Queue()
    /// Value: threads that made their resource or failed to. Guards `startedCount` (the same number: the value
    /// cannot be read while the lock is held) and `startupError`.
    private let started = ConditionLock(value: 0)
    private var startedCount = 0
    private var startupError: (any Error)?
    /// Value: threads that exited. Guards `exitedCount` (the same number).
    private let exited = ConditionLock(value: 0)
    private var exitedCount = 0

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
        started.lock(whenValue: threadCount)
        let error = startupError
        started.unlock()
        if let error {
            shutdown()
            join()
            throw error
        }
    }

    private func threadMain(index: Int, makeResource: @Sendable (Int) throws -> Resource) {
        do {
            let resource = try makeResource(index)
            report(error: nil)
            runJobs(resource)
            // `resource` is released at the end of this scope, on this thread.
        } catch {
            report(error: error)
        }
        exited.lock()
        exitedCount += 1
        exited.unlock(withValue: exitedCount)
    }

    private func report(error: (any Error)?) {
        started.lock()
        if let error, startupError == nil { startupError = error }
        startedCount += 1
        started.unlock(withValue: startedCount)
    }

    private func runJobs(_ resource: Resource) {
        while true {
            work.lock(whenValue: true)
            guard queue.head < queue.jobs.count else {
                // Shutting down with nothing queued: leave the value set so the other threads wake and exit too.
                work.unlock(withValue: true)
                return
            }
            let job = queue.jobs[queue.head]
            queue.jobs[queue.head] = nil
            queue.head += 1
            if queue.head == queue.jobs.count {
                queue.jobs.removeAll(keepingCapacity: true)
                queue.head = 0
            } else if queue.head >= 64 && queue.head * 2 >= queue.jobs.count {
                queue.jobs.removeFirst(queue.head)
                queue.head = 0
            }
            work.unlock(withValue: queue.wakesThreads)
            job?.run(resource)
        }
    }

    /// Queues a job; returns false (and calls nothing) if the pool is shutting down.
    @discardableResult
    func submit(_ job: Job) -> Bool {
        work.lock()
        guard queue.accepting else {
            work.unlock()
            return false
        }
        queue.jobs.append(job)
        work.unlock(withValue: true)
        return true
    }

    /// Number of jobs waiting for a thread.
    var queuedCount: Int {
        work.lock()
        defer { work.unlock() }
        return queue.jobs.count - queue.head
    }

    /// Stops accepting jobs and drops the queued ones (their `drop` runs on the caller). Jobs already running
    /// finish (they watch their own cancellation flags); then the threads release their resources and exit.
    /// Does not wait: see ``join()``.
    func shutdown() {
        work.lock()
        queue.accepting = false
        let dropped = queue.jobs[queue.head...]
        queue.jobs = []
        queue.head = 0
        work.unlock(withValue: true)
        for job in dropped { job?.drop() }
    }

    /// Blocks until every thread has exited (after ``shutdown()``). Never call it from one of the pool's threads.
    func join() {
        exited.lock(whenValue: threadCount)
        exited.unlock()
    }
}
