import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// The documents of one `POST …/documents`: JSON `{"title"?, "text"}` or `{"documents": [{"title"?, "text"}, …]}`
/// (body up to `max_body_mb`), or a multipart upload with a `file` (.txt, .md or .pdf; up to `max_upload_mb`) and an
/// optional `title` field. Every document needs some text: an empty one is a 400 naming it.
struct RAGDocumentInput: Sendable, Equatable {
    var title: String
    var text: String

    /// Documents one JSON request may carry.
    static let maxDocuments = 1000
    /// Longest title kept.
    static let maxTitleCharacters = 200

    /// The documents, and whether they came as a `documents` list (answered as a list).
    static func read(_ request: Request, services: GatewayServices, trace: RequestTrace) async throws(GatewayError) -> (documents: [Self], listed: Bool) {
        if MultipartForm.boundary(of: request.headers[.contentType]) != nil {
            let form = try await MultipartForm.read(request, limit: services.maxUploadBytes, trace: trace)
            return ([try await upload(form)], false)
        }
        var request = request
        let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
        guard let list = json["documents"], !list.isNull else {
            return ([try document(json, param: "")], false)
        }
        guard let items = list.arrayValue, !items.isEmpty else {
            throw .invalidParameter("documents", "'documents' must be a non-empty list of {\"title\", \"text\"} objects.")
        }
        guard items.count <= maxDocuments else {
            throw .invalidParameter("documents", "'documents' has \(items.count) entries; one request may add at most \(maxDocuments).")
        }
        var documents: [Self] = []
        for (index, item) in items.enumerated() {
            guard case .object = item else {
                throw .invalidParameter("documents[\(index)]", "'documents[\(index)]' must be a {\"title\", \"text\"} object.")
            }
            documents.append(try document(item, param: "documents[\(index)]."))
        }
        return (documents, true)
    }

    private static func document(_ json: JSONValue, param prefix: String) throws(GatewayError) -> Self {
        let text: String
        do { text = try json.requiredString("text") } catch { throw renamed(error, prefix + "text") }
        let title: String?
        do { title = try json.optionalString("title") } catch { throw renamed(error, prefix + "title") }
        return try Self(title: title, text: text, param: prefix + "text")
    }

    private static func upload(_ form: MultipartForm) async throws(GatewayError) -> Self {
        guard let file = form.file("file") else { throw .missingParameter("file") }
        let name = file.filename ?? ""
        let bytes = Array(file.data.readableBytesView)
        let text: String
        switch Kind(filename: name, contentType: file.contentType, bytes: bytes) {
        case .pdf:
            text = try await PDFText.extract(bytes)
        case .text:
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw .invalidParameter("file", "'file' is not UTF-8 text (documents are .txt, .md or .pdf).")
            }
            text = decoded
        case .unsupported:
            throw .unsupportedMediaType("'file' must be a .txt, .md or .pdf document.", param: "file")
        }
        let title = form.field("title") ?? (name.isEmpty ? nil : name)
        return try Self(title: title, text: text, param: "file")
    }

    /// Untitled documents are named by their first line.
    private init(title: String?, text: String, param: String) throws(GatewayError) {
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw .invalidParameter(param, "'\(param)' has no text to add.")
        }
        var title = (title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty {
            title = text.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
        }
        self.title = title.count > Self.maxTitleCharacters ? String(title.prefix(Self.maxTitleCharacters - 1)) + "…" : title
        self.text = text
    }

    private static func renamed(_ error: GatewayError, _ param: String) -> GatewayError {
        GatewayError(error.code, error.message.replacingOccurrences(of: "'\(error.param ?? "")'", with: "'\(param)'"), param: param)
    }

    /// What an upload is, from its name's extension, else its content type, else its first bytes.
    enum Kind: Equatable {
        case text, pdf, unsupported

        init(filename: String, contentType: String?, bytes: [UInt8]) {
            let suffix = filename.split(separator: ".").count > 1 ? filename.split(separator: ".").last.map { $0.lowercased() } : nil
            switch suffix {
            case "pdf": self = .pdf
            case "txt", "md", "markdown", "text": self = .text
            case .some: self = .unsupported
            case nil:
                let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
                if type == "application/pdf" || bytes.starts(with: Array("%PDF-".utf8)) {
                    self = .pdf
                } else if type.isEmpty || type.hasPrefix("text/") || type == "application/octet-stream" {
                    self = .text
                } else {
                    self = .unsupported
                }
            }
        }
    }
}
