import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

@testable import ChorusUpstream

/// No call waits behind another to the same upstream, and the wait for a response head is bounded, streamed
/// answers included.
///
/// Serialized: the tests measure waits, which two busy cores would blur.
@Suite("Upstream waits", .serialized)
struct UpstreamWaitTests {
    /// `/hang` never answers; anything else answers at once, as JSON or as a short SSE stream.
    private static func hangOrAnswer(_ request: TestRequest, _ writer: ResponseWriter) async throws {
        if request.path == "/hang" {
            try await writer.hang()
        } else if request.path.hasPrefix("/sse") {
            try await writer.head(.ok, [("Content-Type", "text/event-stream")])
            for index in 0..<3 {
                try await writer.body("data: \(index)\n\n")
                try await Task.sleep(for: .milliseconds(10))
            }
            try await writer.end()
        } else {
            try await writer.respond(headers: [("Content-Type", "application/json")], body: ByteBuffer(string: #"{"ok":true}"#))
        }
    }

    /// The request the gateway makes for a streamed answer: no total limit, a stall limit instead.
    private static func streamed(_ url: String, idle: Double) -> UpstreamRequest {
        var request = UpstreamRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                      body: .bytes(ByteBuffer(string: "{}")), timeout: 0)
        request.idleTimeout = idle
        return request
    }

    @Test(arguments: [false, true])
    func hangingFirstCallDoesNotDelaySixteenOthersToTheSameUpstream(streaming: Bool) async throws {
        try await withServer(Self.hangOrAnswer) { client, server in
            // Before the fix the sixteen waited for the hanging call to end (here: its own 30 s limit).
            let hangingRequest = streaming
                ? Self.streamed("\(server.url)/hang", idle: 30)
                : UpstreamRequest(method: "POST", url: "\(server.url)/hang", body: .bytes(ByteBuffer(string: "{}")), timeout: 30)
            let hangingEnded = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
            let hanging = Task {
                defer { hangingEnded.withLockedValue { $0 = .now } }
                _ = try await client.execute(hangingRequest)
            }
            // Generous: in the whole suite on a loaded machine the server's handler once took over 10 s to see it.
            #expect(await eventually(within: 25) { server.stats.counts.requests == 1 }, "the hanging call never reached the server")

            let start = ContinuousClock.now
            let finished = try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let request = streaming
                            ? Self.streamed("\(server.url)/sse/\(index)", idle: 30)
                            : UpstreamRequest(method: "POST", url: "\(server.url)/json/\(index)", body: .bytes(ByteBuffer(string: "{}")))
                        let response = try await client.execute(request)
                        let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                        #expect(response.status == 200)
                        #expect(body == (streaming ? "data: 0\n\ndata: 1\n\ndata: 2\n\n" : #"{"ok":true}"#))
                        return .now
                    }
                }
                return try await group.reduce(into: [ContinuousClock.Instant]()) { $0.append($1) }
            }
            let lastDone = try #require(finished.max())
            let delays = finished.map { $0 - start }.sorted()
            print("[measure] 16 calls (\(streaming ? "streamed" : "plain")) behind a hanging one to the same upstream: "
                  + "slowest \(delays[15]), median \(delays[8])")
            // Alone they take ~0.1 s; the whole suite on two cores shared with other builds stretched that to 2.8 s.
            // Well under the hanging call's 30 s; a loaded 2-core run takes seconds.
            #expect(lastDone - start < .seconds(15), "the sixteen took \(lastDone - start)")
            #expect(hangingEnded.withLockedValue { $0 } == nil, "the hanging call ended before the others were done")

            hanging.cancel()
            await expectUpstreamError(.cancelled) { try await hanging.value }
        }
    }

    @Test func streamWhoseHeadNeverComesTimesOutAtTheFirstByteLimitAndClosesTheConnection() async throws {
        try await withServer({ _, writer in try await writer.hang() }) { client, server in
            var request = Self.streamed("\(server.url)/hang", idle: 30)
            request.firstByteTimeout = 0.5
            let start = ContinuousClock.now
            await expectUpstreamError(.timedOut) { _ = try await client.execute(request) }
            let answered = ContinuousClock.now
            #expect(answered - start >= .milliseconds(450) && answered - start < .seconds(5), "took \(answered - start)")
            #expect(client.activeTransfers == 0, "the transfer left the multi handle before the caller heard of it")
            #expect(await eventually(within: 1) { server.stats.counts.closed == 1 }, "the server did not see the close")
        }
    }

    @Test func firstByteLimitDoesNotCutAStreamWhoseHeadCameInTime() async throws {
        try await withServer({ _, writer in
            try await Task.sleep(for: .milliseconds(100))
            try await writer.head(.ok, [("Content-Type", "text/event-stream")])
            for index in 0..<6 {
                try await writer.body("data: \(index)\n\n")
                try await Task.sleep(for: .milliseconds(800))
            }
            try await writer.end()
        }) { client, server in
            var request = Self.streamed("\(server.url)/sse", idle: 30)
            // A 0.6 s limit over a head sent at 0.2 s failed in CI: the parallel pass's start on two cores delayed the
            // head past it. 3 s leaves room for that; the stream still runs ~4.9 s, well past the limit.
            request.firstByteTimeout = 3
            let response = try await client.execute(request)
            let body = try await response.body.collect(upTo: 1 << 16)
            #expect(String(buffer: body) == (0..<6).map { "data: \($0)\n\n" }.joined(), "the stream ran ~4.9 s, past the limit")
        }
    }

    @Test func afterTheHeadTheIdleLimitGovernsAStalledStream() async throws {
        try await withServer({ _, writer in
            try await writer.head(.ok, [("Content-Type", "text/event-stream")])
            try await writer.body("data: first\n\n")
            try await writer.hang()
        }) { client, server in
            var request = Self.streamed("\(server.url)/stall", idle: 1.5)
            request.firstByteTimeout = 0.3
            let start = ContinuousClock.now
            let response = try await client.execute(request)
            var received = ""
            await expectUpstreamError(.timedOut) {
                for try await chunk in response.body { received += String(buffer: chunk) }
            }
            let elapsed = ContinuousClock.now - start
            #expect(received == "data: first\n\n")
            // Cut by the idle limit, not by the first-byte one at 0.3 s. libcurl's low-speed check counts whole
            // seconds (2 s here) on a speed averaged over its last ~5 s, so bytes just before the stall push the
            // cut later (8.2 s measured here).
            #expect(elapsed >= .milliseconds(1400) && elapsed < .seconds(15), "took \(elapsed)")
        }
    }
}
