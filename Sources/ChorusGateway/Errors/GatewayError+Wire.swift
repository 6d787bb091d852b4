import ChorusWire

// ChorusWire's errors as the OpenAI-shaped answers clients have always had from these parsers: same status,
// message and param as when the parsers threw GatewayError themselves.

extension GatewayError {
    /// A bad base64 payload: 400 `invalid_value` naming the field it came in.
    init(_ error: Base64PayloadError) {
        self = .invalidParameter(error.param, error.message)
    }

    /// A body past the upload limit is 413 `payload_too_large`; anything else wrong with the form is 400.
    init(_ error: MultipartFormError) {
        if error.kind == .tooLarge, let limit = error.limitBytes {
            self = .payloadTooLarge(limitBytes: limit)
        } else {
            self = .invalidRequest(error.message)
        }
    }

    /// A request body that is not JSON: 400 `invalid_json` with the parser's reason and offset.
    init(_ error: JSONParseError) {
        self = .invalidJSON(error.description, param: error.key)
    }
}

extension Base64Payload {
    /// `decode(_:param:media:)` for code that throws `GatewayError`, so a call site stays one line.
    static func decodeParameter(_ text: String, param: String, media: String) throws(GatewayError) -> [UInt8] {
        do { return try decode(text, param: param, media: media) } catch { throw GatewayError(error) }
    }
}
