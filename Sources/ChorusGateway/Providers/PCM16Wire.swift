import ChorusWire
import Foundation

/// The protocol's audio: little-endian PCM16 mono, 24 kHz, base64 in JSON.
enum PCM16Wire {
    static let sampleRate = 24000

    /// Samples of a base64 append; nil when it is not base64 or not a whole number of samples.
    static func decode(_ text: String) -> [Int16]? {
        guard let bytes = Base64Payload.decode(text.utf8), bytes.count % 2 == 0 else { return nil }
        var samples = [Int16](repeating: 0, count: bytes.count / 2)
        for i in samples.indices {
            samples[i] = Int16(bitPattern: UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8)
        }
        return samples
    }

    static func encode(_ samples: ArraySlice<Int16>) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples.count * 2)
        for sample in samples {
            let value = UInt16(bitPattern: sample)
            bytes.append(UInt8(value & 0xFF))
            bytes.append(UInt8(value >> 8))
        }
        return Data(bytes).base64EncodedString()
    }
}
