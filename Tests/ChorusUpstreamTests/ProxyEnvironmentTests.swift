import Foundation
import NIOCore
import XCTest

@testable import ChorusUpstream

/// XCTest on purpose: it sets proxy variables in the process environment, which libcurl reads for every transfer.
/// `swift test` runs the XCTest tests before, not alongside, the Swift Testing suites, and `no_proxy` keeps
/// loopback traffic direct even so.
final class ProxyEnvironmentTests: XCTestCase {
    /// With `http_proxy` set, a fetch that refuses private addresses must not go through the proxy: the address
    /// checks would see the proxy's address, and the proxy would connect to the private target for us.
    func testFetchRefusingPrivateAddressesIgnoresTheEnvironmentProxy() async throws {
        let proxy = try await TestServer.start { _, writer in
            try await writer.respond(body: ByteBuffer(string: "fetched through the proxy"))
        }
        setenv("http_proxy", "http://127.0.0.1:\(proxy.port)", 1)
        setenv("no_proxy", "127.0.0.1,localhost", 1)
        let client = try UpstreamClient()
        do {
            _ = try await client.execute(UpstreamRequest(url: "http://10.255.255.1:9/internal", connectTimeout: 2,
                                                         refusePrivateAddresses: true))
            XCTFail("a private target was fetched")
        } catch let error as UpstreamError {
            XCTAssertEqual(error.kind, .privateAddressRefused, "\(error)")
            XCTAssertTrue(error.message.contains("10.255.255.1"), "refused the wrong address: \(error.message)")
        }
        // Other fetches still use the environment's proxy.
        let viaProxy = try await client.execute(UpstreamRequest(url: "http://example.invalid/"))
        let answer = try await viaProxy.body.collect(upTo: 100)
        XCTAssertEqual(String(buffer: answer), "fetched through the proxy")
        unsetenv("http_proxy")
        unsetenv("no_proxy")
        await client.shutdown()
        await proxy.stop()
        XCTAssertEqual(proxy.stats.counts.requests, 1)
    }
}
