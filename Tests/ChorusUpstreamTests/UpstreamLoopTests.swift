import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import ChorusUpstream

/// The client drives each transfer on the event loop the request was made on, so a gateway handler that runs on
/// its connection's loop sends, receives and wakes up without another thread in between.
@Suite struct UpstreamLoopTests {
    @Test func aRequestMadeOnAnEventLoopIsDrivenByThatLoopAndItsTaskWakesThere() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let client = try UpstreamClient(eventLoopGroup: group)
        let server = try await TestServer.start { _, writer in
            try await writer.head(.ok)
            try await writer.body("first")
            try await writer.hang()
        }
        let second = loops[1]
        try await withTaskExecutorPreference(EventLoopTaskExecutor(second)) {
            let response = try await client.execute(UpstreamRequest(url: "\(server.url)/on-loop"))
            #expect(second.inEventLoop, "the task waiting for the head woke on another thread")
            #expect(client.activeTransfers(on: second) == 1)
            #expect(client.activeTransfers(on: loops[0]) == 0)
            var iterator = response.body.makeAsyncIterator()
            let chunk = try await iterator.next()
            #expect(chunk.map { String(buffer: $0) } == "first")
            #expect(second.inEventLoop, "the task waiting for the body woke on another thread")
            response.body.cancel()
        }
        #expect(await eventually { client.activeTransfers == 0 })

        // Made outside the group's loops (a test, a background job): the first loop carries it.
        let response = try await client.execute(UpstreamRequest(url: "\(server.url)/off-loop"))
        #expect(client.activeTransfers(on: loops[0]) == 1)
        #expect(client.activeTransfers(on: second) == 0)
        response.body.cancel()
        #expect(await eventually { client.activeTransfers == 0 })

        await client.shutdown()
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func transfersOnSeveralLoopsAtOnceAllFinishWithTheirOwnBytes() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let client = try UpstreamClient(eventLoopGroup: group)
        let server = try await TestServer.start { request, writer in
            try await writer.respond(body: ByteBuffer(string: "answer to \(request.path)"))
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<40 {
                let loop = loops[index % 2]
                tasks.addTask(executorPreference: EventLoopTaskExecutor(loop)) {
                    let response = try await client.execute(UpstreamRequest(url: "\(server.url)/call/\(index)"))
                    let body = try await response.body.collect(upTo: 1000)
                    #expect(String(buffer: body) == "answer to /call/\(index)")
                    #expect(loop.inEventLoop)
                }
            }
            try await tasks.waitForAll()
        }
        #expect(await eventually { client.activeTransfers == 0 })
        await client.shutdown()
        await server.stop()
        try await group.shutdownGracefully()
    }
}
