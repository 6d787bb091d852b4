import ChorusWire
import NIOCore

extension JSONValue {
    /// A request body that must be a JSON object, or the 400 saying what is wrong with it.
    static func object(from body: ByteBuffer) throws(GatewayError) -> JSONValue {
        guard body.readableBytes > 0 else { throw .invalidJSON("the body is empty") }
        let value: JSONValue
        do {
            value = try body.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes) }
        } catch {
            throw GatewayError(error)
        }
        guard case .object = value else { throw .invalidRequest("The request body must be a JSON object.") }
        return value
    }
}
