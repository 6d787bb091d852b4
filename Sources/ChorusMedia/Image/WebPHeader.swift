/// Reads a WebP's size and alpha flag from its first chunk (VP8, VP8L or VP8X), without decoding.
enum WebPHeader {
    struct Info: Sendable, Equatable {
        var width: Int
        var height: Int
        var hasAlpha: Bool
        var isAnimated: Bool
    }

    static func parse(_ data: [UInt8]) throws(ImageError) -> Info {
        guard ImageFormat.detect(data) == .webp else { throw .notAnImage("data is not a RIFF WEBP file") }
        guard data.count >= 20 else { throw .truncated("WebP ends before its first chunk") }
        let chunk = String(decoding: data[12..<16], as: UTF8.self)
        let size = Int(readUInt32LE(data, 16))
        let body = 20
        func need(_ n: Int) throws(ImageError) {
            guard size >= n else { throw .corrupt("WebP \(chunk) chunk is too short") }
            guard data.count - body >= n else { throw .truncated("WebP ends inside its \(chunk) header") }
        }
        switch chunk {
        case "VP8 ":
            try need(10)
            guard data[body + 3] == 0x9D, data[body + 4] == 0x01, data[body + 5] == 0x2A else {
                throw .corrupt("WebP VP8 chunk lacks the key frame start code")
            }
            let width = (Int(data[body + 6]) | Int(data[body + 7]) << 8) & 0x3FFF
            let height = (Int(data[body + 8]) | Int(data[body + 9]) << 8) & 0x3FFF
            guard width > 0, height > 0 else { throw .corrupt("WebP declares a size of \(width)x\(height)") }
            return Info(width: width, height: height, hasAlpha: false, isAnimated: false)
        case "VP8L":
            try need(5)
            guard data[body] == 0x2F else { throw .corrupt("WebP VP8L chunk lacks its signature") }
            let bits = readUInt32LE(data, body + 1)
            guard bits >> 29 == 0 else { throw .corrupt("WebP VP8L version is not 0") }
            return Info(width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1,
                        hasAlpha: bits & (1 << 28) != 0, isAnimated: false)
        case "VP8X":
            try need(10)
            let flags = data[body]
            let width = (Int(data[body + 4]) | Int(data[body + 5]) << 8 | Int(data[body + 6]) << 16) + 1
            let height = (Int(data[body + 7]) | Int(data[body + 8]) << 8 | Int(data[body + 9]) << 16) + 1
            return Info(width: width, height: height, hasAlpha: flags & 0x10 != 0, isAnimated: flags & 0x02 != 0)
        default:
            throw .corrupt("WebP starts with an unknown chunk '\(chunk)'")
        }
    }
}
