import Foundation
import ChorusUpstream
import NIOCore
import Testing

/// A client that starts a streamed chat call, reads its first two SSE events and hangs up, with libcurl: it reads
/// chunks as they come, and cancelling the body closes the connection. Returns what it read and when it hung up.
func readTwoEventsThenHangUp(port: Int, key: String, body: String) async throws -> (text: String, hungUp: ContinuousClock.Instant) {
    let http = try UpstreamClient()
    var request = UpstreamRequest(
        method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
        headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
        body: .bytes(ByteBuffer(string: body)), timeout: 0)
    request.idleTimeout = 10
    let response = try await http.execute(request)
    #expect(response.status == 200)
    var received = ""
    for try await chunk in response.body {
        received += String(buffer: chunk)
        if received.components(separatedBy: "\n\n").count > 2 { break }
    }
    response.body.cancel()
    let hungUp = ContinuousClock.now
    await http.shutdown()
    return (received, hungUp)
}
