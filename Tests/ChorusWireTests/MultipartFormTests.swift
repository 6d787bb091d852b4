@testable import ChorusWire
import NIOCore
import Testing

@Suite struct MultipartFormTests {
    /// Found by fuzz/FuzzMultipart (corpus file regression-high-byte-in-header-name): multipart-kit 4.7.1 looks each
    /// header-name byte up in a 128-entry table, so a byte of 0x80 or more trapped and took the server down.
    static let highByteInHeaderName: [UInt8] = Array("--xYz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nMy voice\r\n--xYz\r\ncontent-disposition".utf8)
        + [0xFB, 0x90, 0x00, 0xFF, 0xFB, 0x90, 0x00] + Array("\r\n--xYz--\r\n".utf8)

    static func read(_ body: [UInt8], boundary: String, pieceSize: Int? = nil) throws(MultipartFormError) -> MultipartForm {
        var reader = MultipartForm.Reader(boundary: boundary, limit: 1 << 20)
        var start = 0
        while start < body.count {
            let end = min(body.count, start + (pieceSize ?? body.count))
            try reader.consume(ByteBuffer(bytes: body[start..<end]))
            start = end
        }
        return try reader.finish()
    }

    @Test func nonASCIIByteInAPartHeaderNameIs400InsteadOfACrash() {
        for pieceSize in [nil, 1, 7] {
            #expect(throws: MultipartFormError.self) { try Self.read(Self.highByteInHeaderName, boundary: "xYz", pieceSize: pieceSize) }
        }
    }

    @Test func nonASCIIHeaderValuesAndBodiesStillRead() throws {
        var body = Array("preamble \u{E9}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf\u{E9} \u{1F3A4}.wav\"\r\n\r\n".utf8)
        body += (0...255).map { UInt8($0) }
        body += Array("\r\n--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nGr\u{FC}\u{DF}e\r\n--b--\r\nepilogue \u{FF}".utf8)
        for pieceSize in [nil, 1, 5] {
            let form = try Self.read(body, boundary: "b", pieceSize: pieceSize)
            #expect(form.file("file")?.filename == "caf\u{E9} \u{1F3A4}.wav")
            #expect(form.file("file").map { Array($0.data.readableBytesView) } == (0...255).map { UInt8($0) })
            #expect(form.field("prompt") == "Gr\u{FC}\u{DF}e")
        }
    }

    @Test func headerNameGuardFindsADelimiterInsideARunOfHyphens() {
        // Boundary "-": the delimiter is "---" CR LF, and "----" CR LF holds it one byte in.
        let body = Array("----\r\nName".utf8) + [0xC3, 0xA9] + Array(": x\r\n\r\nv\r\n-----\r\n".utf8)
        var guardState = HeaderNameGuard(boundary: "-")
        let admitted = guardState.admits(body)
        #expect(!admitted)
        #expect(throws: MultipartFormError.self) { try Self.read(body, boundary: "-") }
    }
}
