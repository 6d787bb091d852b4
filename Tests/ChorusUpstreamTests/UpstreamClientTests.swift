import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

@testable import ChorusUpstream

/// Starts a server and a client, runs `body`, then checks nothing leaked and shuts both down.
func withServer(
    _ handler: @escaping TestServer.Handler,
    _ body: (UpstreamClient, TestServer) async throws -> Void
) async throws {
    let server = try await TestServer.start(handler)
    let client = try UpstreamClient()
    do {
        try await body(client, server)
    } catch {
        await client.shutdown()
        await server.stop()
        throw error
    }
    let drained = await eventually { client.activeTransfers == 0 }
    #expect(drained, "a transfer is still in the multi handle")
    await client.shutdown()
    await server.stop()
}

/// Deterministic, non-repeating-looking bytes (cheap even in debug builds).
private func pattern(_ count: Int, seed: Int = 0) -> ByteBuffer {
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
        for index in 0..<count {
            storage[index] = UInt8(truncatingIfNeeded: (index &* 31) &+ seed &+ (index >> 8))
        }
        initialized = count
    }
    return ByteBuffer(bytes: bytes)
}

func expectUpstreamError(
    _ kind: UpstreamError.Kind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected UpstreamError.\(kind), got success", sourceLocation: sourceLocation)
    } catch let error as UpstreamError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected UpstreamError.\(kind), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Serialized: several tests assert timings (timeouts, SSE spacing), which two busy cores would blur.
@Suite("UpstreamClient", .serialized)
struct UpstreamClientTests {
    @Test func hundredConcurrentTransfersAllCompleteWithTheirOwnBodies() async throws {
        try await withServer({ request, writer in
            let id = Int(request.path.dropFirst("/item/".count)) ?? -1
            try await writer.respond(headers: [("X-Item", "\(id)")], body: pattern(10_000 + id, seed: id))
        }) { client, server in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in 0..<100 {
                    group.addTask {
                        let response = try await client.execute(UpstreamRequest(url: "\(server.url)/item/\(id)"))
                        #expect(response.status == 200)
                        #expect(response.header("x-item") == "\(id)")
                        let body = try await response.body.collect(upTo: 1 << 20)
                        #expect(body == pattern(10_000 + id, seed: id))
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.stats.counts.requests == 100)
        }
    }

    @Test func slowReaderPausesTheTransferAndKeepsMemoryBounded() async throws {
        let total = 16 << 20
        let piece = pattern(64 << 10)
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Length", "\(total)")])
            for _ in 0..<(total / piece.readableBytes) { try await writer.body(piece) }
            try await writer.end()
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/big"))
            // Not reading: curl must pause, and the server's writes must stall well before the end. On a busy
            // machine the socket buffers take a while to fill, so wait (bounded) for the writes to hold still.
            var writtenWhileStalled = server.stats.counts.bytesWritten
            var stalled = false
            for _ in 0..<60 {
                try await Task.sleep(for: .milliseconds(200))
                let now = server.stats.counts.bytesWritten
                if now == writtenWhileStalled { stalled = true; break }
                writtenWhileStalled = now
            }
            #expect(stalled, "the server kept writing while the reader stalled")
            let stats = response.body.transfer.stats
            #expect(stats.pauseCount >= 1)
            #expect(stats.maxBufferedBytes <= Transfer.highWatermark + 64 * 1024)
            #expect(writtenWhileStalled < total / 2, "server wrote \(writtenWhileStalled) of \(total) bytes")

            var received = 0
            var chunks = 0
            var mismatch = false
            for try await chunk in response.body {
                // Every piece is the same pattern, so each byte is known from its offset (memcmp: debug
                // builds are too slow to compare 32 MiB byte by byte without starving the other tests).
                var chunk = chunk
                while chunk.readableBytes > 0 {
                    let offset = received % piece.readableBytes
                    let length = min(chunk.readableBytes, piece.readableBytes - offset)
                    let same = chunk.withUnsafeReadableBytes { got in
                        piece.withUnsafeReadableBytes { want in
                            guard let got = got.baseAddress, let want = want.baseAddress else { return false }
                            return memcmp(got, want + offset, length) == 0
                        }
                    }
                    if !same { mismatch = true }
                    chunk.moveReaderIndex(forwardBy: length)
                    received += length
                }
                chunks += 1
                if chunks % 64 == 0 { try await Task.sleep(for: .milliseconds(2)) }  // keep reading slowly
            }
            #expect(received == total)
            #expect(!mismatch)
            #expect(response.body.transfer.stats.maxBufferedBytes <= Transfer.highWatermark + 64 * 1024)
        }
    }

    @Test func resetMidBodyThrowsTransferFailedFromTheIterator() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Length", "\(1 << 20)")])
            try await writer.body(pattern(64 << 10))
            try await Task.sleep(for: .milliseconds(50))
            try await writer.reset()
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/reset"))
            #expect(response.status == 200)
            var received = 0
            await expectUpstreamError(.transferFailed) {
                for try await chunk in response.body { received += chunk.readableBytes }
            }
            #expect(received == 64 << 10)
        }
    }

    @Test func serverHangingBeforeHeadersTimesOut() async throws {
        try await withServer({ _, writer in try await writer.hang() }) { client, server in
            let start = ContinuousClock.now
            await expectUpstreamError(.timedOut) {
                _ = try await client.execute(UpstreamRequest(url: "\(server.url)/hang", timeout: 0.5))
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(3), "took \(elapsed)")
        }
    }

    @Test func serverHangingMidBodyTimesOut() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Length", "1000")])
            try await writer.body("partial")
            try await writer.hang()
        }) { client, server in
            let start = ContinuousClock.now
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/stall", timeout: 0.6))
            var received = ""
            await expectUpstreamError(.timedOut) {
                for try await chunk in response.body { received += String(buffer: chunk) }
            }
            #expect(received == "partial")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(550) && elapsed < .seconds(3), "took \(elapsed)")
        }
    }

    @Test func connectionRefusedIsConnectFailed() async throws {
        // A port that was just free: bind a server, note its port, stop it.
        let closed = try await TestServer.start { _, _ in }
        let url = closed.url
        await closed.stop()
        let client = try UpstreamClient()
        await expectUpstreamError(.connectFailed) {
            _ = try await client.execute(UpstreamRequest(url: url, connectTimeout: 2))
        }
        #expect(client.activeTransfers == 0)
        await client.shutdown()
    }

    @Test func cancellingTheReadingTaskMidBodyRemovesTheTransfer() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Type", "text/event-stream")])
            try await writer.body("data: first\n\n")
            try await writer.hang()
        }) { client, server in
            let firstChunk = NIOLockedValueBox(false)
            let reader = Task {
                let response = try await client.execute(UpstreamRequest(url: "\(server.url)/events"))
                for try await _ in response.body { firstChunk.withLockedValue { $0 = true } }
            }
            #expect(await eventually(within: 2) { firstChunk.withLockedValue { $0 } })
            #expect(client.activeTransfers == 1)
            reader.cancel()
            await expectUpstreamError(.cancelled) { try await reader.value }
            #expect(await eventually { client.activeTransfers == 0 })
            #expect(await eventually { server.stats.counts.closed == 1 }, "the server did not see the close")
        }
    }

    @Test func cancellingTheTaskWaitingForHeadersRemovesTheTransfer() async throws {
        try await withServer({ _, writer in try await writer.hang() }) { client, server in
            let waiter = Task { _ = try await client.execute(UpstreamRequest(url: "\(server.url)/slow")) }
            #expect(await eventually { server.stats.counts.requests == 1 })
            waiter.cancel()
            await expectUpstreamError(.cancelled) { try await waiter.value }
            #expect(await eventually { client.activeTransfers == 0 })
            #expect(await eventually { server.stats.counts.closed == 1 })
        }
    }

    @Test func droppingTheBodyUnreadFreesTheTransfer() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Length", "\(1 << 20)")])
            try await writer.body("some")
            try await writer.hang()
        }) { client, server in
            do {
                let response = try await client.execute(UpstreamRequest(url: "\(server.url)/drop"))
                #expect(response.status == 200)
                #expect(client.activeTransfers == 1)
            }
            #expect(await eventually { client.activeTransfers == 0 })
            #expect(await eventually { server.stats.counts.closed == 1 })
        }
    }

    @Test func breakingOutOfTheBodyLoopFreesTheTransfer() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok)
            try await writer.body("one")
            try await writer.hang()
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/break"))
            for try await chunk in response.body {
                #expect(String(buffer: chunk) == "one")
                break
            }
            #expect(await eventually { client.activeTransfers == 0 })
            #expect(await eventually { server.stats.counts.closed == 1 })
            _ = response
        }
    }

    @Test func cancelOnTheBodyAbortsTheTransfer() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok)
            try await writer.hang()
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/cancel"))
            let reader = Task { try await response.body.collect(upTo: 1000) }
            try await Task.sleep(for: .milliseconds(50))
            response.body.cancel()
            await expectUpstreamError(.cancelled) { _ = try await reader.value }
            #expect(await eventually { client.activeTransfers == 0 })
        }
    }

    @Test(arguments: [Int?.none, Int?.some(1_000_003)])
    func streamedRequestBodyArrivesIntact(length: Int?) async throws {
        let sent = pattern(1_000_003, seed: 7)
        try await withServer({ request, writer in
            let headers = [("X-Chunked", request.head.headers["transfer-encoding"].first ?? "no"),
                           ("X-Content-Type", request.head.headers["content-type"].first ?? "none")]
            try await writer.respond(headers: headers, body: request.body)
        }) { client, server in
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            let producer = Task {
                var offset = 0
                var round = 0
                while offset < sent.readableBytes {
                    let size = min([1, 100, 4096, 65_536, 30_000][round % 5], sent.readableBytes - offset)
                    if let slice = sent.getSlice(at: offset, length: size) { continuation.yield(slice) }
                    offset += size
                    round += 1
                    if round % 10 == 0 { try await Task.sleep(for: .milliseconds(5)) }  // the reader must wait
                }
                continuation.finish()
            }
            let response = try await client.execute(UpstreamRequest(
                method: "PUT", url: "\(server.url)/echo", body: .stream(stream, length: length)))
            #expect(response.status == 200)
            #expect(response.header("X-Chunked") == (length == nil ? "chunked" : "no"))
            #expect(response.header("X-Content-Type") == "none")
            let echoed = try await response.body.collect(upTo: 2 << 20)
            #expect(echoed == sent)
            try await producer.value
        }
    }

    @Test func requestBodyFromMemoryArrivesWithItsHeaders() async throws {
        try await withServer({ request, writer in
            let method = request.head.method.rawValue
            try await writer.respond(headers: [("X-Method", method),
                                               ("X-Content-Type", request.head.headers["content-type"].first ?? ""),
                                               ("X-Empty", request.head.headers["x-empty"].first ?? "missing")],
                                     body: request.body)
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(
                method: "POST", url: "\(server.url)/json",
                headers: [("Content-Type", "application/json"), ("X-Empty", "")],
                body: .bytes(ByteBuffer(string: #"{"model":"tts-1"}"#))))
            #expect(response.header("x-method") == "POST")
            #expect(response.header("x-content-type") == "application/json")
            #expect(response.header("x-empty") == "")
            #expect(String(buffer: try await response.body.collect(upTo: 1000)) == #"{"model":"tts-1"}"#)
        }
    }

    @Test func requestBodyFromBuffersArrivesWholeWithItsLength() async throws {
        let big = pattern(1_000_003, seed: 3)
        let parts = [ByteBuffer(string: "head|"), big, ByteBuffer(), ByteBuffer(string: "|tail")]
        var expected = ByteBuffer()
        for var part in parts { expected.writeBuffer(&part) }
        try await withServer({ request, writer in
            try await writer.respond(headers: [("X-Length", request.head.headers["content-length"].first ?? "none"),
                                               ("X-Chunked", request.head.headers["transfer-encoding"].first ?? "no")],
                                     body: request.body)
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(
                method: "POST", url: "\(server.url)/echo", headers: [("Content-Type", "multipart/form-data; boundary=x")],
                body: .buffers(parts)))
            #expect(response.header("X-Length") == "\(expected.readableBytes)")
            #expect(response.header("X-Chunked") == "no")
            #expect(try await response.body.collect(upTo: 2 << 20) == expected)
        }
    }

    /// A kept-alive connection that dies under the next request: curl resends on a new connection, which needs the
    /// in-place body rewound (through the seek callback) — the bytes must arrive whole the second time too.
    @Test func requestBodyFromBuffersIsResentWhenAReusedConnectionDies() async throws {
        let body = [ByteBuffer(string: "part one, "), pattern(200_000, seed: 5), ByteBuffer(string: ", part three")]
        var expected = ByteBuffer()
        for var part in body { expected.writeBuffer(&part) }
        let requests = NIOLockedValueBox(0)
        try await withServer({ request, writer in
            let number = requests.withLockedValue { $0 += 1; return $0 }
            if number == 2 {
                // The second request, on the reused connection: closed with no answer at all (a FIN, which curl
                // reads as "the kept-alive connection was dead" and retries on a new one).
                try await writer.channel.close()
                return
            }
            try await writer.respond(body: request.body)
        }) { client, server in
            let first = try await client.execute(UpstreamRequest(method: "POST", url: "\(server.url)/a", body: .buffers(body)))
            #expect(try await first.body.collect(upTo: 1 << 20) == expected)
            let second = try await client.execute(UpstreamRequest(method: "POST", url: "\(server.url)/b", body: .buffers(body)))
            #expect(second.status == 200)
            #expect(try await second.body.collect(upTo: 1 << 20) == expected)
            #expect(requests.withLockedValue { $0 } == 3)
            #expect(server.stats.counts.accepted == 2)
        }
    }

    @Test func serverSentEventsArriveOneByOneWithoutBuffering() async throws {
        let eventCount = 5
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Type", "text/event-stream")])
            for index in 0..<eventCount {
                if index > 0 { try await Task.sleep(for: .milliseconds(50)) }
                try await writer.body("data: event \(index)\n\n")
            }
            try await writer.end()
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/sse"))
            var arrivals: [ContinuousClock.Instant] = []
            var events: [String] = []
            var writtenAtFirstChunk = 0
            for try await chunk in response.body {
                if arrivals.isEmpty { writtenAtFirstChunk = server.stats.counts.bytesWritten }
                arrivals.append(.now)
                events.append(String(buffer: chunk))
            }
            #expect(events == (0..<eventCount).map { "data: event \($0)\n\n" })
            // The first event reached the reader before the server wrote the second one...
            #expect(writtenAtFirstChunk < "data: event 0\n\n".utf8.count * 2, "the first event waited for others")
            // ...and the events came spread out as sent (about 200 ms from first to last), not in one burst.
            if let first = arrivals.first, let last = arrivals.last {
                #expect(last - first >= .milliseconds(120), "events arrived within \(last - first)")
            }
            for gap in zip(arrivals.dropFirst(), arrivals).map({ $0 - $1 }) {
                #expect(gap < .seconds(1), "gap \(gap)")
            }
        }
    }

    @Test func refusePrivateAddressesRefusesLoopback() async throws {
        try await withServer({ _, writer in try await writer.respond(body: ByteBuffer(string: "secret")) }) {
            client, server in
            await expectUpstreamError(.privateAddressRefused) {
                _ = try await client.execute(UpstreamRequest(url: "\(server.url)/", refusePrivateAddresses: true))
            }
            await expectUpstreamError(.privateAddressRefused) {
                _ = try await client.execute(UpstreamRequest(url: "http://localhost:\(server.port)/",
                                                             refusePrivateAddresses: true))
            }
            #expect(server.stats.counts.accepted == 0)
            // Without the flag the same server answers; a refusing request must not reuse that connection.
            let allowed = try await client.execute(UpstreamRequest(url: "\(server.url)/"))
            #expect(String(buffer: try await allowed.body.collect(upTo: 100)) == "secret")
            await expectUpstreamError(.privateAddressRefused) {
                _ = try await client.execute(UpstreamRequest(url: "\(server.url)/", refusePrivateAddresses: true))
            }
            #expect(server.stats.counts.requests == 1)
        }
    }

    @Test func maxResponseBytesAbortsTheBody() async throws {
        try await withServer({ _, writer in try await writer.respond(body: pattern(1 << 20)) }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/big", maxResponseBytes: 100_000))
            var received = 0
            await expectUpstreamError(.responseTooLarge) {
                for try await chunk in response.body { received += chunk.readableBytes }
            }
            #expect(received <= 100_000)
        }
    }

    @Test func collectPastItsLimitThrowsResponseTooLarge() async throws {
        try await withServer({ _, writer in try await writer.respond(body: pattern(300_000)) }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/big"))
            await expectUpstreamError(.responseTooLarge) { _ = try await response.body.collect(upTo: 1000) }
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServer({ request, writer in
            try await writer.respond(body: ByteBuffer(string: "hello \(request.path)"))
        }) { client, server in
            for path in ["/one", "/two", "/three"] {
                let response = try await client.execute(UpstreamRequest(url: "\(server.url)\(path)"))
                #expect(String(buffer: try await response.body.collect(upTo: 100)) == "hello \(path)")
            }
            #expect(server.stats.counts.accepted == 1)
            #expect(server.stats.counts.requests == 3)
        }
    }

    /// The head of an answer that arrived whole is handed over after curl's pass, with the body and the end:
    /// the caller wakes once and reads the body without waiting again (one thread hand-off per small answer).
    @Test func smallAnswerArrivingWholeIsCompleteWhenExecuteReturns() async throws {
        try await withServer({ request, writer in
            try await writer.respondAtOnce(body: ByteBuffer(string: "answer for \(request.path)"))
        }) { client, server in
            for index in 0..<20 {
                let response = try await client.execute(UpstreamRequest(url: "\(server.url)/\(index)"))
                #expect(response.body.transfer.isFinished, "request \(index): the body had not ended when the head was handed over")
                #expect(String(buffer: try await response.body.collect(upTo: 100)) == "answer for /\(index)")
            }
        }
    }

    @Test func redirectsAreReturnedNotFollowed() async throws {
        try await withServer({ request, writer in
            try await writer.respond(.found, headers: [("Location", "/elsewhere"), ("Set-Cookie", "a=1"),
                                                       ("set-cookie", "b=2")],
                                     body: ByteBuffer(string: "moved"))
        }) { client, server in
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/old"))
            #expect(response.status == 302)
            #expect(response.header("location") == "/elsewhere")
            #expect(response.headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1) == ["a=1", "b=2"])
            #expect(String(buffer: try await response.body.collect(upTo: 100)) == "moved")
            #expect(server.stats.counts.requests == 1)
        }
    }

    @Test func headerWithLineBreakIsRejectedBeforeSending() async throws {
        try await withServer({ _, writer in try await writer.respond(body: ByteBuffer()) }) { client, server in
            await expectUpstreamError(.invalidRequest) {
                _ = try await client.execute(UpstreamRequest(url: server.url,
                                                             headers: [("X-Bad", "a\r\nInjected: yes")]))
            }
            await expectUpstreamError(.invalidRequest) {
                _ = try await client.execute(UpstreamRequest(url: "file:///etc/passwd"))
            }
            #expect(server.stats.counts.requests == 0)
        }
    }

    @Test func failingRequestBodyStreamFailsTheTransfer() async throws {
        struct ProducerFailed: Error {}
        try await withServer({ request, writer in
            try await writer.respond(body: request.body)
        }) { client, server in
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            continuation.yield(ByteBuffer(string: "start"))
            let producer = Task {
                try await Task.sleep(for: .milliseconds(50))
                continuation.finish(throwing: ProducerFailed())
            }
            await expectUpstreamError(.transferFailed) {
                _ = try await client.execute(UpstreamRequest(method: "POST", url: "\(server.url)/upload",
                                                             body: .stream(stream, length: nil)))
            }
            try await producer.value
            #expect(server.stats.counts.requests == 0)
        }
    }

    @Test func cancellingManyTransfersAtRandomPointsLeavesNothingBehind() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok)
            for index in 0..<20 {
                try await writer.body("chunk \(index)\n")
                try await Task.sleep(for: .milliseconds(5))
            }
            try await writer.end()
        }) { client, server in
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<60 {
                    let reader = Task {
                        let response = try await client.execute(UpstreamRequest(url: "\(server.url)/\(index)"))
                        for try await _ in response.body {}
                    }
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(index % 30 * 3))
                        reader.cancel()
                        _ = await reader.result
                    }
                }
            }
            #expect(await eventually(within: 2) { client.activeTransfers == 0 })
            // The client still works afterwards.
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/after"))
            #expect(try await response.body.collect(upTo: 1000).readableBytes > 0)
        }
    }

    #if os(Linux)
    @Test func eventThreadIsNamed() async throws {
        func threadNames() -> [String] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let client = try UpstreamClient()
        // Other suites may run clients too, so this only checks that the name is set, not a count.
        #expect(await eventually { threadNames().contains("chorus.upstream") })
        await client.shutdown()
    }
    #endif

    @Test func shutdownFailsOpenTransfersAndIsIdempotent() async throws {
        let server = try await TestServer.start { _, writer in
            try await writer.head(.ok)
            try await writer.hang()
        }
        let client = try UpstreamClient()
        let response = try await client.execute(UpstreamRequest(url: "\(server.url)/open"))
        await client.shutdown()
        await expectUpstreamError(.shutdown) { _ = try await response.body.collect(upTo: 100) }
        await expectUpstreamError(.shutdown) { _ = try await client.execute(UpstreamRequest(url: server.url)) }
        await client.shutdown()
        #expect(client.activeTransfers == 0)
        #expect(await eventually { server.stats.counts.closed == 1 })
        await server.stop()
    }
}
