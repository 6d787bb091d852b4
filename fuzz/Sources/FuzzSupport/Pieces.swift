/// Cuts an input into the pieces a network would deliver it in, so the streaming parsers are fuzzed on every
/// split and not only on whole bodies. The cuts come from `seed` (a byte of the fuzz input), so a crash
/// reproduces from its input file alone.
public func pieces(of bytes: ArraySlice<UInt8>, seed: UInt8) -> [ArraySlice<UInt8>] {
    // seed 0: one piece (how tests and most clients send it); otherwise lengths 1…(2 * seed) from xorshift.
    guard seed != 0 else { return [bytes] }
    var state = UInt32(seed) &* 0x9E37_79B9 | 1
    var result: [ArraySlice<UInt8>] = []
    var start = bytes.startIndex
    while start < bytes.endIndex {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let length = 1 + Int(state % (2 * UInt32(seed)))
        let end = min(start + length, bytes.endIndex)
        result.append(bytes[start..<end])
        start = end
    }
    return result
}

/// Stops the fuzzer with a message when a property of the code under test does not hold (libFuzzer saves
/// the input that did it).
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("property failed: \(message())", file: file, line: line) }
}
