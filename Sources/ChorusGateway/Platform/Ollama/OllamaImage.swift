import ChorusWire

/// An image of an Ollama message (bare base64 of the file) as the data URL an OpenAI `image_url` part carries.
enum OllamaImage {
    /// 400 naming `param` when it is not base64 of a PNG, JPEG, GIF or WebP file: the media type of the data
    /// URL comes from the file's first bytes, and a provider would refuse anything else less clearly.
    static func dataURL(_ value: JSONValue, param: String) throws(GatewayError) -> String {
        guard let text = value.stringValue else { throw .invalidParameter(param, "'\(param)' must be a base64 string.") }
        let bytes: [UInt8]
        do {
            bytes = try Base64Payload.decode(text, param: param, media: "image")
        } catch {
            throw GatewayError(error)
        }
        guard let media = mediaType(of: bytes) else {
            throw .invalidParameter(param, "'\(param)' is not a PNG, JPEG, GIF or WebP image.")
        }
        if text.utf8.starts(with: "data:".utf8) { return text }
        return "data:\(media);base64," + text
    }

    static func mediaType(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), bytes[8..<12].elementsEqual("WEBP".utf8) { return "image/webp" }
        return nil
    }
}
