import ChorusWire
@testable import ChorusGateway
import HTTPTypes
import NIOCore
import Testing

/// ChorusWire's parsers used to throw GatewayError themselves; clients must still get the very same answers.
@Suite struct GatewayErrorWireTests {
    static func expectSameAnswer(_ mapped: GatewayError, as before: GatewayError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(mapped.status == before.status, sourceLocation: sourceLocation)
        #expect(mapped.param == before.param, sourceLocation: sourceLocation)
        #expect(String(decoding: mapped.body, as: UTF8.self) == String(decoding: before.body, as: UTF8.self),
                sourceLocation: sourceLocation)
    }

    static func base64Error(_ text: String, param: String, media: String) throws -> GatewayError {
        let error = try #require(throws: Base64PayloadError.self) { try Base64Payload.decode(text, param: param, media: media) }
        return GatewayError(error)
    }

    static func multipartError(_ body: String, boundary: String = "b", limit: Int = 1 << 20) throws -> GatewayError {
        let error = try #require(throws: MultipartFormError.self) {
            var reader = MultipartForm.Reader(boundary: boundary, limit: limit)
            try reader.consume(ByteBuffer(string: body))
            _ = try reader.finish()
        }
        return GatewayError(error)
    }

    @Test func badBase64IsA400InvalidValueNamingTheField() throws {
        let cases: [(String, GatewayError)] = [
            ("QU*D", .invalidParameter("audio_sample", "'audio_sample' is not valid base64.")),
            ("data:audio/wav;base64", .invalidParameter("audio_sample", "'audio_sample' is a data URL without a comma.")),
            ("data:audio/wav,QUJD", .invalidParameter("audio_sample", "'audio_sample' must be a base64 data URL (data:audio/…;base64,…).")),
        ]
        for (text, before) in cases {
            let mapped = try Self.base64Error(text, param: "audio_sample", media: "audio")
            Self.expectSameAnswer(mapped, as: before)
            #expect(mapped.status == .badRequest && mapped.codeString == "invalid_value" && mapped.param == "audio_sample")
        }
    }

    @Test func multipartPastTheLimitIs413PayloadTooLarge() throws {
        let mapped = try Self.multipartError(String(repeating: "x", count: 11), limit: 10)
        Self.expectSameAnswer(mapped, as: .payloadTooLarge(limitBytes: 10))
        #expect(mapped.status == .contentTooLarge && mapped.codeString == "payload_too_large")
    }

    @Test func malformedMultipartIsA400WithTheReadersMessage() throws {
        let field = "--b\r\nContent-Disposition: form-data; name=\"big\"\r\n\r\n" + String(repeating: "x", count: MultipartForm.maxFieldBytes + 1)
        let cases: [(String, GatewayError)] = [
            ("--b\r\nN\u{E9}: x\r\n\r\nv\r\n--b--\r\n", .invalidRequest("Malformed multipart body: a part's header name is not ASCII.")),
            ("", .invalidRequest("The multipart body has no parts.")),
            (field, .invalidRequest("Form field 'big' is larger than 1 MiB.")),
        ]
        for (body, before) in cases {
            let mapped = try Self.multipartError(body, limit: 4 << 20)
            Self.expectSameAnswer(mapped, as: before)
            #expect(mapped.status == .badRequest && mapped.param == nil)
        }
    }

    @Test func unparsableJSONIsA400InvalidJSONWithTheOffset() throws {
        let error = try #require(throws: JSONParseError.self) { try JSONParser.parse(Array("{".utf8)) }
        let mapped = GatewayError(error)
        Self.expectSameAnswer(mapped, as: .invalidJSON("Expected a string key at byte 1"))
        #expect(mapped.codeString == "invalid_json")
    }
}
