import Hummingbird
import MultipartKit
import NIOCore

/// A multipart/form-data body read with multipart-kit's streaming parser while it arrives: the byte limit is
/// enforced as the body streams in (413 the moment it is crossed, nothing buffered past it).
struct MultipartForm: Sendable {
    struct File: Sendable {
        var filename: String?
        var contentType: String?
        var data: ByteBuffer
    }

    private(set) var fields: [(String, String)] = []
    private(set) var files: [(String, File)] = []
    private(set) var totalBytes = 0

    func field(_ name: String) -> String? { fields.last { $0.0 == name }?.1 }
    func fieldValues(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
    func file(_ name: String) -> File? { files.first { $0.0 == name }?.1 }
    func files(named names: Set<String>) -> [File] { files.filter { names.contains($0.0) }.map(\.1) }

    static func boundary(of contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" {
                var value = pair[1].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// Reads the whole form. Text fields are capped at 1 MiB each; the total at `limit` bytes.
    static func read(_ request: Request, limit: Int, trace: RequestTrace) async throws(GatewayError) -> MultipartForm {
        guard let boundary = boundary(of: request.headers[.contentType]) else {
            throw .unsupportedMediaType("Expected a multipart/form-data body with a boundary.")
        }
        let declaredLength = request.headers[.contentLength].flatMap(Int.init)
        if let declaredLength, declaredLength > limit {
            throw .payloadTooLarge(limitBytes: limit)
        }
        let collector = PartCollector()
        collector.reserveBudget = declaredLength
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.complete() }
        var total = 0
        do {
            for try await chunk in request.body {
                // A file part that starts in this chunk can be no longer than what is left of the body.
                collector.remainingBytes = declaredLength.map { max($0 - total, 0) }
                total += chunk.readableBytes
                if total > limit { throw GatewayError.payloadTooLarge(limitBytes: limit) }
                try parser.execute(chunk)
                if let error = collector.error { throw error }
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .invalidRequest("Malformed multipart body: \(error)")
        }
        guard collector.sawPart else { throw .invalidRequest("The multipart body has no parts.") }
        trace.update { $0.bytesIn = total }
        var form = MultipartForm()
        form.fields = collector.fields
        form.files = collector.files
        form.totalBytes = total
        return form
    }
}

/// Parser callbacks run synchronously inside `execute`, on the reading task only.
private final class PartCollector: @unchecked Sendable {
    var fields: [(String, String)] = []
    var files: [(String, MultipartForm.File)] = []
    var error: GatewayError?
    var sawPart = false
    /// Body bytes still to come from the start of the current chunk, when the request declared its length.
    var remainingBytes: Int?
    /// What file parts may still reserve up front, all together: the declared length once. Without this budget a
    /// body of many tiny file parts would reserve (if never touch) the whole length for every one of them.
    var reserveBudget: Int?
    private var name: String?
    private var filename: String?
    private var contentType: String?
    private var data = ByteBuffer()

    static let maxFieldBytes = 1 << 20

    func header(_ name: String, _ value: String) {
        switch name.lowercased() {
        case "content-disposition":
            for parameter in value.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                var v = pair[1].trimmingCharacters(in: .whitespaces)
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                switch pair[0].trimmingCharacters(in: .whitespaces).lowercased() {
                case "name": self.name = v
                case "filename": self.filename = v
                default: break
                }
            }
        case "content-type": contentType = value
        default: break
        }
    }

    func body(_ buffer: inout ByteBuffer) {
        if filename == nil, data.readableBytes + buffer.readableBytes > Self.maxFieldBytes {
            error = .invalidRequest("Form field '\(name ?? "?")' is larger than 1 MiB.")
            return
        }
        if filename != nil, data.capacity == 0, let remainingBytes, let budget = reserveBudget,
           min(remainingBytes, budget) > buffer.readableBytes {
            // One allocation of the largest size the file can have, instead of growing by doubling: no
            // reallocation copies the upload again, and pages never written stay unbacked (no RSS).
            let size = min(remainingBytes, budget)
            data.reserveCapacity(size)
            reserveBudget = budget - size
        }
        data.writeBuffer(&buffer)
    }

    func complete() {
        sawPart = true
        if let name {
            if filename != nil || (contentType.map { !$0.hasPrefix("text/plain") } ?? false) {
                files.append((name, MultipartForm.File(filename: filename, contentType: contentType, data: data)))
            } else {
                fields.append((name, String(buffer: data)))
            }
        }
        name = nil
        filename = nil
        contentType = nil
        data = ByteBuffer()
    }
}
