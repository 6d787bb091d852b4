import ChorusWire
import FuzzSupport

/// JSON request bodies (every JSON route parses with `JSONParser`; the text routes check theirs with
/// `JSONObjectScan` first). Beyond not crashing: whatever the scan accepts, the parser accepts with the same top-level
/// members; whatever the parser accepts, the serializer writes back as JSON that parses to the same value, and a
/// second round changes nothing (the gateway rewrites bodies this way before forwarding them).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parsed = try? JSONParser.parse(bytes)
    if let scan = JSONObjectScan.scan(UnsafeRawBufferPointer(bytes)) {
        let raw = UnsafeRawBufferPointer(bytes)
        guard let members = parsed?.objectValue else {
            fatalError("the scan accepted what the parser refuses: \(String(decoding: bytes, as: UTF8.self))")
        }
        require(members.count == scan.members.count, "the scan found \(scan.members.count) members, the parser \(members.count)")
        for (member, (key, value)) in zip(scan.members, members) {
            require(String(decoding: raw[member.key], as: UTF8.self) == key, "member key differs from the parser's '\(key)'")
            require((try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[member.value]))) == value,
                    "member '\(key)' differs from the parser's value")
        }
    }
    guard let value = parsed else { return 0 }
    let text = value.serialized()
    let again: JSONValue
    do {
        again = try JSONParser.parse(text)
    } catch {
        fatalError("serialized JSON does not parse (\(error)): \(String(decoding: text, as: UTF8.self))")
    }
    require(again == value, "round trip changed the value: \(String(decoding: text, as: UTF8.self))")
    require(again.serialized() == text, "serializing is not stable: \(String(decoding: text, as: UTF8.self))")
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzJSON) }
}
