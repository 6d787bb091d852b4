import ChorusGateway
import ChorusUpstream
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A client that hangs up in the middle of a streamed answer: the row says 499 (not the 200 it never finished
/// reading) and the provider's transfer is aborted at once.
@Suite struct ClientHangUpTests {
    @Test func streamCutByTheClientIsLogged499AndTheProviderSeesTheClose() async throws {
        // 40 events 100 ms apart: ~4 s of stream, of which the client reads the first two events.
        let mock = MockUpstream(sseChunks: 40, sseInterval: .milliseconds(100))
        try await withGateway(mock: mock) { client, gateway, mock in
            let (received, hungUp) = try await readTwoEventsThenHangUp(
                port: try #require(client.port), key: masterKey,
                body: #"{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"long"}]}"#)
            #expect(received.hasPrefix(mock.sseEvents(model: "upstream-model")[0]))

            #expect(await eventually(within: 2) { mock.streamClosedAt != nil }, "the provider's stream was not aborted")
            if let closed = mock.streamClosedAt {
                print("[measure] provider saw the close \(closed - hungUp) after the client hung up")
                // Typically a few ms; the bound leaves room for a loaded whole-suite run (1.4 s seen on 2 cores).
                #expect(closed - hungUp < .seconds(3))
            }
            #expect(mock.streamsFinished == 0, "the provider sent the whole stream")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 499)
            #expect(row.stream == true)
            #expect(row.error?.contains("client closed") == true, "\(row.error ?? "no error")")
        }
    }
}
