/// Base64 media inside JSON bodies (`audio_sample`, LoLLMs images, data URLs, providers' `b64_json`).
///
/// Decoded byte by byte over the UTF-8 view: images arrive as megabytes of base64, and going through `Character`s
/// (grapheme breaking) cost ~0.3 s per MB.
public enum Base64Payload {
    /// Base64 with or without a `data:<media>/…;base64,` prefix; ASCII whitespace ignored, missing padding
    /// tolerated, the URL-safe alphabet accepted. `param` (the field the text came in) and `media` (`image`,
    /// `audio`) only word the error.
    public static func decode(_ text: String, param: String, media: String) throws(Base64PayloadError) -> [UInt8] {
        var utf8 = Substring(text).utf8
        if utf8.starts(with: "data:".utf8) {
            guard let comma = utf8.firstIndex(of: UInt8(ascii: ",")) else {
                throw .dataURLWithoutComma(param: param)
            }
            guard utf8[..<comma].reversed().starts(with: ";base64".utf8.reversed()) else {
                throw .notBase64DataURL(param: param, media: media)
            }
            utf8 = utf8[utf8.index(after: comma)...]
        }
        // A pointer walk, not String.UTF8View indexing: this runs over megabytes.
        let decoded = utf8.withContiguousStorageIfAvailable { decode($0) } ?? decode(Array(utf8))
        guard let bytes = decoded, !bytes.isEmpty else {
            throw .notBase64(param: param)
        }
        return bytes
    }

    /// nil when a character is outside the alphabet, padding is misplaced, or a lone sextet is left over.
    public static func decode<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var count = 0
        var padding = 0
        return Self.table.withUnsafeBufferPointer { table -> [UInt8]? in
            for byte in input {
                let value = table[Int(byte)]
                if value < 64 {
                    guard padding == 0 else { return nil }
                    accumulator = accumulator << 6 | UInt32(value)
                    count += 1
                    if count == 4 {
                        output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                        output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                        output.append(UInt8(truncatingIfNeeded: accumulator))
                        accumulator = 0
                        count = 0
                    }
                } else if value == whitespace {
                    continue
                } else if value == pad {
                    padding += 1
                    guard padding <= 2 else { return nil }
                } else {
                    return nil
                }
            }
            switch count {
            case 0: guard padding == 0 else { return nil }
            case 2:
                output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
            case 3:
                output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
            default: return nil
            }
            return output
        }
    }

    private static let whitespace: UInt8 = 0xFE
    private static let pad: UInt8 = 0xFD
    private static let invalid: UInt8 = 0xFF

    private static let table: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        for byte in [UInt8(ascii: " "), 0x09, 0x0A, 0x0D] { table[Int(byte)] = whitespace }
        table[Int(UInt8(ascii: "="))] = pad
        return table
    }()
}
