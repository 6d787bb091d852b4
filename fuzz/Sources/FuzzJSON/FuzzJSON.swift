import ChorusWire
import FuzzSupport

/// JSON request bodies (every JSON route parses with `JSONParser`). Beyond not crashing: whatever the parser
/// accepts, the serializer writes back as JSON that parses to the same value, and a second round changes nothing
/// (the gateway rewrites bodies this way before forwarding them).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
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
