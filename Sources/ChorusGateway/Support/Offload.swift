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
}
