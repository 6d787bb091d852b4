import Foundation
import MultipartKit
public import NIOCore

/// A multipart/form-data body read with multipart-kit's streaming parser while it arrives: the byte limit is
/// enforced as the body streams in (`MultipartFormError.tooLarge` the moment it is crossed, nothing buffered past it).
///
/// It knows bytes only: the gateway feeds it a request body (`MultipartForm+Request.swift` there), fuzz/ feeds it
/// hostile ones.
public struct MultipartForm: Sendable {
    public struct File: Sendable {
        public var filename: String?
        public var contentType: String?
        public var data: ByteBuffer

        public init(filename: String?, contentType: String?, data: ByteBuffer) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    /// Text fields are refused past this size; files are bounded by the body's limit only.
    public static let maxFieldBytes = 1 << 20

    public private(set) var fields: [(String, String)] = []
    public private(set) var files: [(String, File)] = []
    public private(set) var totalBytes = 0

    public func field(_ name: String) -> String? { fields.last { $0.0 == name }?.1 }
    public func fieldValues(_ name: String) -> [String] { fields.filter { $0.0 == name }.map(\.1) }
    public func file(_ name: String) -> File? { files.first { $0.0 == name }?.1 }
    public func files(named names: Set<String>) -> [File] { files.filter { names.contains($0.0) }.map(\.1) }

    /// The boundary parameter of a multipart/form-data Content-Type; nil for any other type.
    public static func boundary(of contentType: String?) -> String? {
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

    /// Parses a body pushed in pieces as they arrive. Text fields are capped at 1 MiB each; the total at
    /// `limit` bytes, checked before each piece is parsed. `declaredLength` (Content-Length) lets file parts
    /// reserve their size up front.
    public struct Reader {
        private let collector = PartCollector()
        private let parser: MultipartParser
        private var headerGuard: HeaderNameGuard
        private let limit: Int
        private let declaredLength: Int?
        public private(set) var totalBytes = 0

        public init(boundary: String, limit: Int, declaredLength: Int? = nil) {
            self.limit = limit
            self.declaredLength = declaredLength
            collector.reserveBudget = declaredLength
            headerGuard = HeaderNameGuard(boundary: boundary)
            parser = MultipartParser(boundary: boundary)
            parser.onHeader = { [collector] name, value in collector.header(name, value) }
            parser.onBody = { [collector] buffer in collector.body(&buffer) }
            parser.onPartComplete = { [collector] in collector.complete() }
        }

        public mutating func consume(_ chunk: ByteBuffer) throws(MultipartFormError) {
            // A file part that starts in this chunk can be no longer than what is left of the body.
            collector.remainingBytes = declaredLength.map { max($0 - totalBytes, 0) }
            totalBytes += chunk.readableBytes
            if totalBytes > limit { throw .tooLarge(limitBytes: limit) }
            guard headerGuard.admits(chunk.readableBytesView) else {
                throw .malformed("a part's header name is not ASCII.")
            }
            do {
                try parser.execute(chunk)
            } catch {
                throw .malformed("\(error)")
            }
            if let error = collector.error { throw error }
        }

        /// The form, once the whole body has been consumed.
        public func finish() throws(MultipartFormError) -> MultipartForm {
            guard collector.sawPart else { throw .noParts }
            var form = MultipartForm()
            form.fields = collector.fields
            form.files = collector.files
            form.totalBytes = totalBytes
            return form
        }
    }
}

/// multipart-kit 4.7.1 traps (index out of range, so the whole server stops) on a byte of 0x80 or more in a part's
/// header *name*: it looks each name byte up in a 128-entry table. This guard reads the body alongside the parser
/// and refuses such a byte before the parser sees it. Found by fuzz/ (FuzzMultipart); remove it once multipart-kit
/// checks the byte itself.
///
/// It only has to cover every place the parser can be reading a header name, so it over-approximates: a header block
/// starts after every `--boundary` CR LF (the parser needs at least that before a part's headers, whether after the
/// preamble or after a body), a name runs from a line start to the first `:`, and an empty line ends the block. Bytes
/// of 0x80 and more stay fine in header values (UTF-8 file names), bodies and the preamble.
struct HeaderNameGuard {
    private enum Position { case outside, name(empty: Bool), value, afterCR }

    private let pattern: [UInt8]
    /// Knuth–Morris–Pratt fallback table for `pattern`, so overlapping starts (boundary `-`…) are not missed.
    private let fallback: [Int]
    private var matched = 0
    private var position = Position.outside

    init(boundary: String) {
        pattern = Array("--\(boundary)\r\n".utf8)
        var fallback = [0]
        var k = 0
        for i in 1..<pattern.count {
            while k > 0, pattern[i] != pattern[k] { k = fallback[k - 1] }
            if pattern[i] == pattern[k] { k += 1 }
            fallback.append(k)
        }
        self.fallback = fallback
    }

    /// False when `bytes` put a byte of 0x80 or more where multipart-kit could read it as part of a header name.
    mutating func admits(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            switch position {
            case .outside:
                break
            case .name(let empty):
                if byte >= 0x80 { return false }
                if byte == UInt8(ascii: ":") {
                    position = .value
                } else if byte == 0x0D {
                    position = empty ? .outside : .afterCR
                } else {
                    position = .name(empty: false)
                }
            case .value:
                if byte == 0x0D { position = .afterCR }
            case .afterCR:
                position = .name(empty: true)
            }
            while matched > 0, byte != pattern[matched] { matched = fallback[matched - 1] }
            if byte == pattern[matched] { matched += 1 }
            if matched == pattern.count {
                position = .name(empty: true)
                matched = fallback[matched - 1]
            }
        }
        return true
    }
}

/// Parser callbacks run synchronously inside `execute`, on the reading task only.
private final class PartCollector: @unchecked Sendable {
    var fields: [(String, String)] = []
    var files: [(String, MultipartForm.File)] = []
    var error: MultipartFormError?
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
        if filename == nil, data.readableBytes + buffer.readableBytes > MultipartForm.maxFieldBytes {
            error = .fieldTooLarge(name ?? "?")
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
