import ChorusMedia
import NIOPosix

/// Blocking work (codecs, file I/O) on the NIO thread pool instead of an event loop or the cooperative pool.
enum Offload {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(GatewayError) -> T) async throws(GatewayError) -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try body() }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    /// The same for long work that can stop early: `body` gets a flag that is set when the awaiting task is
    /// cancelled (a client that left) and passes it to the FFmpeg job, which polls it between chunks. This returns
    /// only once `body` has returned, so when it throws after a cancellation the pool thread is already free.
    static func cancellable<T: Sendable>(
        _ body: @escaping @Sendable (CancellationFlag) throws(GatewayError) -> T
    ) async throws(GatewayError) -> T {
        let flag = CancellationFlag()
        do {
            return try await withTaskCancellationHandler {
                try await run { () throws(GatewayError) in try body(flag) }
            } onCancel: {
                flag.cancel()
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }
}
