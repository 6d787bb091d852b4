import ChorusMedia
import NIOConcurrencyHelpers
import NIOPosix

/// Where a speech request's audio comes from, already in the caller's format: a stream of encoded chunks plus
/// the seconds of audio produced so far.
struct SynthesizedAudio: Sendable {
    typealias Chunks = AsyncThrowingStream<[UInt8], any Error>

    let chunks: Chunks
    let seconds: @Sendable () -> Double

    /// Runs `produce` in its own task, feeding the returned stream; when the consumer stops early, the task is
    /// cancelled and `onStop` runs (e.g. to abort the upstream transfer).
    static func produce(onStop: @escaping @Sendable () -> Void = {},
                        _ produce: @escaping @Sendable (Chunks.Continuation) async throws -> Void) -> Chunks {
        Chunks { continuation in
            let task = Task {
                do {
                    try await produce(continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                onStop()
            }
        }
    }
}

/// Runs a non-Sendable ffmpeg pipeline (encoder/transcoder) from one task at a time, each step on the NIO thread
/// pool so codec work never lands on an event loop.
final class CodecBox<Codec>: @unchecked Sendable {
    private let codec: Codec
    private let lock = NIOLock()
    init(_ codec: Codec) { self.codec = codec }

    func run<T: Sendable>(_ body: @escaping @Sendable (Codec) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try lock.withLock { try body(codec) }
        }
    }
}
