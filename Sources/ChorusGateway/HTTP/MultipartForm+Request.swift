import ChorusWire
import Hummingbird
import NIOCore

extension MultipartForm {
    /// Reads the whole form from a request body as it streams in: 413 as soon as the declared or the received
    /// length crosses `limit`.
    static func read(_ request: Request, limit: Int, trace: RequestTrace) async throws(GatewayError) -> MultipartForm {
        guard let boundary = boundary(of: request.headers[.contentType]) else {
            throw .unsupportedMediaType("Expected a multipart/form-data body with a boundary.")
        }
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        if let declaredLength, declaredLength > limit {
            throw .payloadTooLarge(limitBytes: limit)
        }
        var reader = Reader(boundary: boundary, limit: limit, declaredLength: declaredLength)
        // What arrived goes in the usage row whether the form reads or not.
        defer { trace.update { $0.bytesIn = reader.totalBytes } }
        do {
            for try await chunk in request.body {
                try reader.consume(chunk)
            }
        } catch let error as MultipartFormError {
            throw GatewayError(error)
        } catch is RequestBodyTimeout {
            throw .requestBodyTimeout()
        } catch is CancellationError {
            // Only a shutdown out of grace cancels a request's task (`GatewayHTTPChannel`).
            throw .shuttingDown()
        } catch {
            // Parse errors come from the reader as MultipartFormErrors; anything else is the connection failing under
            // the body (a client that hung up mid-upload). Counted as 499.
            throw .clientClosed("The client closed the connection during the upload, after \(reader.totalBytes) bytes: \(error)")
        }
        try trace.requestRead()
        do { return try reader.finish() } catch { throw GatewayError(error) }
    }
}
