import ChorusWire
import Hummingbird
import NIOCore

/// Ollama's error answer, `{"error": "message"}`: the `ollama` clients raise `ResponseError` with that text and the
/// status. Same status, headers (`Retry-After`) and request id in a 5xx as OpenAI's shape.
struct OllamaErrorStyle: ErrorStyle {
    func response(for error: GatewayError, requestID: String?) -> Response {
        let body: JSONValue = ["error": .string(error.publicMessage(requestID: requestID))]
        return Response(status: error.status, headers: error.headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }
}
