public import NIOCore

/// Runs a task's jobs on one NIO event loop (`withTaskExecutorPreference`). A task that prefers the loop its
/// connection lives on and calls `UpstreamClient.execute` there has its transfer driven on that same loop: the
/// request goes out, curl's callbacks run and the task wakes with the answer without crossing a thread. The
/// gateway's connections do this (`GatewayHTTPChannel.handle`). Blocking work must not run on such a task; it
/// belongs on a thread pool.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
