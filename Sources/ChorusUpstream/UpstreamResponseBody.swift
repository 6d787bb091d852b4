public import NIOCore
import NIOConcurrencyHelpers

/// The response body, as the chunks curl hands over, without coalescing. Single consumer: iterate it once.
///
/// Dropping the body before making an iterator, or dropping the iterator before the end, aborts the transfer
/// (its connection is then not reused). Cancelling the Task that waits in `next()` aborts it too.
public final class UpstreamResponseBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let transfer: Transfer
    private let iteratorMade = NIOLockedValueBox(false)

    init(transfer: Transfer) {
        self.transfer = transfer
    }

    deinit {
        if !self.iteratorMade.withLockedValue({ $0 }) {
            self.transfer.cancel(.cancelled("the response body was dropped unread"))
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let owner: IteratorOwner

        fileprivate init(owner: IteratorOwner) {
            self.owner = owner
        }

        /// The next chunk, `nil` at the end; throws `UpstreamError` if the transfer failed or was cancelled.
        public mutating func next() async throws -> ByteBuffer? {
            guard let transfer = self.owner.transfer else {
                throw UpstreamError.invalidRequest("the response body can be iterated only once")
            }
            return try await transfer.nextChunk()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let first = self.iteratorMade.withLockedValue { made in
            defer { made = true }
            return !made
        }
        return AsyncIterator(owner: IteratorOwner(transfer: first ? self.transfer : nil))
    }

    /// Reads the whole body into one buffer; throws `responseTooLarge` (and aborts the transfer) past `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        for try await chunk in self {
            guard result.readableBytes + chunk.readableBytes <= maxBytes else {
                self.transfer.cancel(.responseTooLarge(limit: maxBytes))
                throw UpstreamError.responseTooLarge(limit: maxBytes)
            }
            if result.readableBytes == 0 {
                // Most answers arrive as one chunk: keep that buffer rather than copy it into a new one.
                result = chunk
                continue
            }
            var chunk = chunk
            result.writeBuffer(&chunk)
        }
        return result
    }

    /// Aborts the transfer now; a waiting or later `next()` throws `cancelled`.
    public func cancel() {
        self.transfer.cancel(.cancelled())
    }
}

/// Lives as long as the iterator; aborting the transfer when it goes away covers `break` out of a loop.
private final class IteratorOwner: Sendable {
    let transfer: Transfer?

    init(transfer: Transfer?) {
        self.transfer = transfer
    }

    deinit {
        self.transfer?.cancel(.cancelled("the response body iterator was dropped before the end"))
    }
}
