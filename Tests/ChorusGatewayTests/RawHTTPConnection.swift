import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP client speaking HTTP/1.1 by hand, for what an HTTP client library hides: whether one connection
/// carries several requests, what the server sends (or not) before closing, a request head or body sent a byte at
/// a time or left unfinished. Reads take a deadline: past it the client closes its side and the read reports it.
final class RawHTTPConnection {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var chunked: Bool

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Failure: Error, CustomStringConvertible {
        /// The server closed the connection (after `received` bytes of an unfinished response).
        case closed(received: Int)
        /// Nothing complete arrived before the deadline.
        case timedOut
        case malformed(String)

        var description: String {
            switch self {
            case .closed(let received): "the server closed the connection (after \(received) bytes of a response)"
            case .timedOut: "no complete response before the deadline"
            case .malformed(let what): "malformed response: \(what)"
            }
        }
    }

    private let channel: any Channel
    private let peerClosed: NIOLockedFlag
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending = ByteBuffer()
    private(set) var isClosed = false
    private var deadlinePassed = false

    private init(channel: any Channel, peerClosed: NIOLockedFlag, inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
                 outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.channel = channel
        self.peerClosed = peerClosed
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects to 127.0.0.1:`port` and runs `body` with the connection; it is closed afterwards.
    static func with<T>(port: Int, _ body: (RawHTTPConnection) async throws -> T) async throws -> T {
        let peerClosed = NIOLockedFlag()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerCloseWatcher(flag: peerClosed))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawHTTPConnection(channel: channel.channel, peerClosed: peerClosed, inbound: inbound, outbound: outbound))
        }
    }

    /// The server closed its side (or the connection is gone), seen without reading.
    var serverClosed: Bool { peerClosed.isSet }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws { try await outbound.write(ByteBuffer(bytes: bytes)) }

    /// `POST path` with a JSON body and the master key, keep-alive.
    func post(_ path: String, json: String, key: String = masterKey) async throws {
        try await send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
    }

    /// The next whole response (Content-Length or chunked body), or a `Failure`.
    func readResponse(within timeout: Duration = .seconds(10)) async throws -> Response {
        try await withDeadline(timeout) {
            guard let headEnd = try await readUntil({ $0.firstRange(of: Array("\r\n\r\n".utf8)) }) else { throw Failure.closed(received: pending.readableBytes) }
            let headBytes = pending.readBytes(length: headEnd.upperBound) ?? []
            let lines = String(decoding: headBytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."), statusLine.count >= 12,
                  let status = Int(statusLine.dropFirst(9).prefix(3))
            else { throw Failure.malformed(lines.first ?? "") }
            let headers = lines.dropFirst().compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            var response = Response(status: status, headers: headers, body: [], chunked: false)
            if response.header("transfer-encoding")?.lowercased() == "chunked" {
                response.chunked = true
                while true {
                    guard let lineEnd = try await readUntil({ $0.firstRange(of: Array("\r\n".utf8)) }) else { throw Failure.closed(received: response.body.count) }
                    let sizeLine = String(decoding: pending.readBytes(length: lineEnd.upperBound) ?? [], as: UTF8.self)
                    guard let size = Int(sizeLine.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first ?? "", radix: 16) else {
                        throw Failure.malformed("chunk size '\(sizeLine)'")
                    }
                    guard try await readCount(size + 2) else { throw Failure.closed(received: response.body.count) }
                    response.body += pending.readBytes(length: size) ?? []
                    pending.moveReaderIndex(forwardBy: 2)
                    if size == 0 { break }
                }
            } else if let length = response.header("content-length").flatMap(Int.init) {
                guard try await readCount(length) else { throw Failure.closed(received: pending.readableBytes) }
                response.body = pending.readBytes(length: length) ?? []
            }
            return response
        }
    }

    /// Waits for the server to close the connection; returns what it sent before closing, or nil when it was
    /// still open at the deadline.
    func readUntilClosed(within timeout: Duration) async throws -> [UInt8]? {
        do {
            return try await withDeadline(timeout) {
                while try await fill() {}
                return pending.readBytes(length: pending.readableBytes) ?? []
            }
        } catch Failure.timedOut {
            return nil
        }
    }

    /// Reads until `text` has arrived (true) or the deadline passes or the server closes (false).
    func waitFor(_ text: String, within timeout: Duration) async throws -> Bool {
        do {
            return try await withDeadline(timeout) {
                try await readUntil { $0.firstRange(of: Array(text.utf8)) } != nil
            }
        } catch Failure.timedOut {
            return false
        }
    }

    // MARK: reading

    /// Reads more into `pending`; false at the end of the stream.
    private func fill() async throws -> Bool {
        guard !isClosed else { return false }
        do {
            guard var chunk = try await inbound.next() else {
                isClosed = true
                return false
            }
            pending.writeBuffer(&chunk)
            return true
        } catch {
            isClosed = true
            return false
        }
    }

    private func readUntil(_ find: ([UInt8]) -> Range<Int>?) async throws -> Range<Int>? {
        while true {
            if let range = find(pending.getBytes(at: pending.readerIndex, length: pending.readableBytes) ?? []) { return range }
            guard try await fill() else { return nil }
        }
    }

    private func readCount(_ count: Int) async throws -> Bool {
        while pending.readableBytes < count {
            guard try await fill() else { return false }
        }
        return true
    }

    /// Runs `body`; if it has not finished by `timeout`, the connection is closed under it and `timedOut` thrown.
    private func withDeadline<T>(_ timeout: Duration, _ body: () async throws -> T) async throws -> T {
        let channel = self.channel
        let passed = NIOLockedFlag()
        let killer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                    + timeout.components.attoseconds / 1_000_000_000)) {
            passed.set()
            channel.close(promise: nil)
        }
        defer { killer.cancel() }
        do {
            let value = try await body()
            if passed.isSet { throw Failure.timedOut }
            return value
        } catch {
            if passed.isSet { throw Failure.timedOut }
            throw error
        }
    }
}

/// A flag set from the event loop and read from the test's task.
final class NIOLockedFlag: Sendable {
    private let box = NIOLockedValueBox(false)
    func set() { box.withLockedValue { $0 = true } }
    var isSet: Bool { box.withLockedValue { $0 } }
}

/// Notes the server closing its side while the test is busy sending.
private final class PeerCloseWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let flag: NIOLockedFlag
    init(flag: NIOLockedFlag) { self.flag = flag }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { flag.set() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        flag.set()
        context.fireChannelInactive()
    }
}
