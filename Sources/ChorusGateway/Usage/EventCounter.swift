import NIOCore

/// Counts occurrences of byte patterns in a body that passes through in chunks, without keeping it: a pattern
/// split across two chunks is still counted once (the last `longest - 1` bytes carry over). Used to count the
/// images of a passed-through image stream (`"type":"image_generation.completed"` events) for the usage row.
struct EventCounter {
    private let patterns: [[UInt8]]
    private let longest: Int
    private var carry: [UInt8] = []
    private(set) var count = 0

    init(patterns: [String]) {
        self.patterns = patterns.map { Array($0.utf8) }.filter { !$0.isEmpty }
        self.longest = self.patterns.map(\.count).max() ?? 0
    }

    /// The completed-image events of OpenAI's image streams, with or without a space after the colon.
    static func completedImages() -> EventCounter {
        EventCounter(patterns: ["image_generation.completed", "image_edit.completed"].flatMap {
            ["\"type\":\"\($0)\"", "\"type\": \"\($0)\""]
        })
    }

    mutating func feed(_ buffer: ByteBuffer) {
        guard longest > 0 else { return }
        var window = carry
        window.append(contentsOf: buffer.readableBytesView)
        // Only matches that end in the new bytes: one lying wholly in the carry was counted last time.
        let firstNewEnd = carry.count
        for pattern in patterns where pattern.count <= window.count {
            var start = 0
            let first = pattern[0]
            while start + pattern.count <= window.count {
                if window[start] == first, start + pattern.count > firstNewEnd,
                   window[start..<(start + pattern.count)].elementsEqual(pattern) {
                    count += 1
                    start += pattern.count
                } else {
                    start += 1
                }
            }
        }
        carry = Array(window.suffix(longest - 1))
    }
}
