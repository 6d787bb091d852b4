/// The image formats Chorus reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, webp

    /// The MIME type for `Content-Type` headers.
    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        }
    }

    /// The usual file extension, without a dot.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        }
    }

    /// Parses a format name as clients write it (`png`, `jpeg`, `jpg`, `webp`, any case, or a MIME type).
    public init?(name: String) {
        switch name.lowercased() {
        case "png", "image/png": self = .png
        case "jpeg", "jpg", "image/jpeg", "image/jpg": self = .jpeg
        case "webp", "image/webp": self = .webp
        default: return nil
        }
    }

    /// The format of `data` by its magic bytes, or nil (including for gif and other formats Chorus does not handle).
    public static func detect(_ data: [UInt8]) -> ImageFormat? {
        if data.starts(with: pngSignature) { return .png }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if data.count >= 12, data.starts(with: Array("RIFF".utf8)), data[8..<12].elementsEqual("WEBP".utf8) { return .webp }
        return nil
    }

    /// The name of a recognised but unsupported format, for error messages.
    static func unsupportedName(_ data: [UInt8]) -> String? {
        if data.starts(with: Array("GIF87a".utf8)) || data.starts(with: Array("GIF89a".utf8)) { return "gif" }
        if data.starts(with: Array("BM".utf8)) && data.count >= 14 { return "bmp" }
        if data.starts(with: [0x49, 0x49, 0x2A, 0x00]) || data.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "tiff" }
        if data.count >= 12, data[4..<8].elementsEqual("ftyp".utf8) {
            let brand = String(decoding: data[8..<12], as: UTF8.self)
            if brand.hasPrefix("avi") { return "avif" }
            if brand.hasPrefix("hei") || brand.hasPrefix("mif1") { return "heic" }
        }
        if data.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return "jpeg 2000" }
        if data.starts(with: [0xFF, 0x0A]) { return "jpeg xl" }
        return nil
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
