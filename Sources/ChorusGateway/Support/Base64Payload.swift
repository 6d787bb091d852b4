import Foundation

/// Base64 media inside JSON bodies (`audio_sample`, LoLLMs images, data URLs).
enum Base64Payload {
    /// Base64 with or without a `data:<media>/…;base64,` prefix; whitespace ignored, missing padding tolerated.
    /// Bad base64 is 400 on `param`.
    static func decode(_ text: String, param: String, media: String) throws(GatewayError) -> [UInt8] {
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ",") else {
                throw .invalidParameter(param, "'\(param)' is a data URL without a comma.")
            }
            let header = payload[..<comma]
            guard header.hasSuffix(";base64") else {
                throw .invalidParameter(param, "'\(param)' must be a base64 data URL (data:\(media)/…;base64,…).")
            }
            payload = payload[payload.index(after: comma)...]
        }
        let compact = payload.filter { !$0.isWhitespace }
        guard !compact.isEmpty, let data = Data(base64Encoded: String(compact)) ?? Data(base64Encoded: padded(compact)) else {
            throw .invalidParameter(param, "'\(param)' is not valid base64.")
        }
        return Array(data)
    }

    private static func padded(_ text: String) -> String {
        let remainder = text.count % 4
        return remainder == 0 ? text : text + String(repeating: "=", count: 4 - remainder)
    }
}
