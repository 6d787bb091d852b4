import ChorusWire
import Hummingbird
import NIOCore

/// The first steps every /v1 route shares: authenticate, rate-limit, read and parse the body.
/// Reading and parsing request bodies, the same for every route.
extension GatewayServices {
    /// Reads the body up to `limit` bytes: 413 as soon as the declared or the received length crosses it.
    func collectBody(_ request: inout Request, limit: Int, trace: RequestTrace) async throws(GatewayError) -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw .payloadTooLarge(limitBytes: limit)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .payloadTooLarge(limitBytes: limit)
        } catch is RequestBodyTimeout {
            throw .requestBodyTimeout()
        } catch is CancellationError {
            throw .shuttingDown()
        } catch {
            // The reader's error names NIO types: the log and the row get it, the caller a plain sentence.
            throw GatewayError(.invalidRequest, "Could not read the request body.", detail: "\(error)")
        }
        trace.update { $0.bytesIn = body.readableBytes }
        try trace.requestRead()
        return body
    }

    /// A JSON object body, or 400 saying what is wrong with it.
    func parseJSONObject(_ body: ByteBuffer) throws(GatewayError) -> JSONValue {
        try JSONValue.object(from: body)
    }
}

extension JSONValue {
    /// A required string member, or 400 naming it.
    func requiredString(_ key: String) throws(GatewayError) -> String {
        guard let value = self[key], !value.isNull else { throw .missingParameter(key) }
        guard let string = value.stringValue else { throw .invalidParameter(key, "'\(key)' must be a string.") }
        return string
    }

    func optionalBool(_ key: String) throws(GatewayError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw .invalidParameter(key, "'\(key)' must be a boolean.") }
        return bool
    }

    func optionalString(_ key: String) throws(GatewayError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw .invalidParameter(key, "'\(key)' must be a string.") }
        return string
    }

    func optionalNumber(_ key: String, in range: ClosedRange<Double>) throws(GatewayError) -> Double? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let number = value.doubleValue else { throw .invalidParameter(key, "'\(key)' must be a number.") }
        guard range.contains(number) else {
            throw .invalidParameter(key, "'\(key)' must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return number
    }
}

extension GatewayServices {
    /// A small JSON route: run `body` with the caller and the trace, answer 200 with its JSON and finish the usage
    /// row. Errors from `body` finish the row with their status (`ErrorMiddleware`).
    func jsonRoute(_ context: GatewayRequestContext,
                   _ body: (Caller, RequestTrace) async throws -> JSONValue) async throws -> Response {
        let trace = try context.requireTrace()
        let json = try await body(try context.requireCaller(), trace)
        trace.finishWhole(status: 200)
        return Response.json(json)
    }
}
