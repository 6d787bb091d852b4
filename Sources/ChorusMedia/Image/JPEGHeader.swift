/// Reads a JPEG's size from its start-of-frame marker, without decoding.
enum JPEGHeader {
    static func size(_ data: [UInt8]) throws(ImageError) -> (width: Int, height: Int) {
        guard data.starts(with: [0xFF, 0xD8]) else { throw .notAnImage("data does not start with a JPEG SOI marker") }
        var offset = 2
        while true {
            // Markers are 0xFF followed by a non-0xFF byte; extra 0xFF bytes are fill.
            guard offset < data.count else { throw .truncated("JPEG ends before its frame header") }
            guard data[offset] == 0xFF else { throw .corrupt("JPEG marker expected at byte \(offset)") }
            while offset < data.count, data[offset] == 0xFF { offset += 1 }
            guard offset < data.count else { throw .truncated("JPEG ends before its frame header") }
            let marker = data[offset]
            offset += 1
            switch marker {
            case 0x01, 0xD0...0xD7: continue                      // TEM, RSTn: no length
            case 0xD9, 0xDA: throw .corrupt("JPEG has no frame header before its scan data")
            default: break
            }
            guard data.count - offset >= 2 else { throw .truncated("JPEG ends inside a marker segment") }
            let length = Int(data[offset]) << 8 | Int(data[offset + 1])
            guard length >= 2 else { throw .corrupt("JPEG marker segment has length \(length)") }
            let isFrameHeader = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrameHeader {
                guard length >= 8, data.count - offset >= 7 else { throw .truncated("JPEG ends inside its frame header") }
                let height = Int(data[offset + 3]) << 8 | Int(data[offset + 4])
                let width = Int(data[offset + 5]) << 8 | Int(data[offset + 6])
                guard width > 0, height > 0 else {
                    throw .unsupportedFormat("JPEG declares a size of \(width)x\(height) (height from DNL is not supported)")
                }
                return (width, height)
            }
            guard data.count - offset >= length else { throw .truncated("JPEG ends inside a marker segment") }
            offset += length
        }
    }
}
