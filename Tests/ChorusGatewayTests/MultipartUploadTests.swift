@testable import ChorusGateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct MultipartUploadTests {
    /// The body of ChorusWireTests' `MultipartFormTests.highByteInHeaderName` (fuzz corpus file
    /// regression-high-byte-in-header-name), sent to a route: multipart-kit used to trap on it and stop the server.
    static let highByteInHeaderName: [UInt8] = Array("--xYz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMy voice\r\n--xYz\r\ncontent-disposition".utf8)
        + [0xFB, 0x90, 0x00, 0xFF, 0xFB, 0x90, 0x00] + Array("\r\n--xYz--\r\n".utf8)

    @Test func transcriptionUploadWithANonASCIIHeaderNameIs400AndTheServerKeepsAnswering() async throws {
        try await withGateway { client, gateway, _ in
            let headers: HTTPFields = [.authorization: "Bearer \(masterKey)", .contentType: "multipart/form-data; boundary=xYz"]
            let response = try await client.execute(uri: "/v1/audio/transcriptions", method: .post, headers: headers,
                                                    body: ByteBuffer(bytes: Self.highByteInHeaderName))
            #expect(response.status == .badRequest)
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(try await logRows(gateway).first?.status == 400)
        }
    }
}
