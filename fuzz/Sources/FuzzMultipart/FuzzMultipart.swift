import ChorusWire
import FuzzSupport
import NIOCore

/// multipart/form-data uploads (transcriptions, translations, custom voices) through `MultipartForm.Reader`
/// and multipart-kit.
///
/// Input: one byte that picks how the body is cut into pieces, the boundary up to the first LF, then the body.
/// Beyond not crashing: the form does not depend on how the body was cut, and a form re-encoded for an upstream
/// (`MultipartForm.encodeParts`) reads back the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2, let newline = input[1...].firstIndex(of: 0x0A) else { return 0 }
    let boundary = String(decoding: input[1..<newline], as: UTF8.self)
    guard !boundary.isEmpty, boundary.utf8.count <= 70 else { return 0 }
    let body = input[(newline + 1)...]

    let whole = read(boundary: boundary, [body])
    let cut = read(boundary: boundary, pieces(of: body, seed: input[0]))
    require(whole == cut, "the form depends on how the body was cut: \(whole) vs \(cut)")

    if case .form(let fields, let files) = whole, let file = files.first {
        let named = fields.filter { !$0.name.contains("\"") && !$0.name.contains("\r") && !$0.name.contains("\n") }
        let encoded = MultipartForm.encodeParts(fields: named.map { ($0.name, $0.value) }, files: [
            ("file", MultipartForm.File(filename: file.filename, contentType: file.contentType, data: ByteBuffer(bytes: file.data))),
        ])
        guard let again = MultipartForm.boundary(of: encoded.contentType) else { fatalError("encodeParts wrote no boundary") }
        let reread = read(boundary: again, encoded.parts.map { ArraySlice(Array($0.readableBytesView)) })
        guard case .form(let fields2, let files2) = reread else { fatalError("re-encoded form does not read: \(reread)") }
        require(fields2 == named, "re-encoded fields differ: \(fields2) vs \(named)")
        require(files2.first?.data == file.data, "re-encoded file data differs")
    }
    return 0
}

struct Field: Equatable, CustomStringConvertible {
    var name: String
    var value: String
    var description: String { "\(name)=\(value.debugDescription)" }
}

struct FilePart: Equatable {
    var name: String
    var filename: String?
    var contentType: String?
    var data: [UInt8]
}

enum Outcome: Equatable {
    case form([Field], [FilePart])
    case failed(String)

    static func == (a: Outcome, b: Outcome) -> Bool {
        switch (a, b) {
        case (.form(let f1, let p1), .form(let f2, let p2)): f1 == f2 && p1 == p2
        case (.failed, .failed): true  // messages may name the piece that failed
        default: false
        }
    }
}

func read(boundary: String, _ chunks: [ArraySlice<UInt8>]) -> Outcome {
    // A declared length as a client would send it, so file parts take the reserve-up-front path.
    let declared = chunks.reduce(0) { $0 + $1.count }
    var reader = MultipartForm.Reader(boundary: boundary, limit: 1 << 20, declaredLength: declared)
    do {
        for chunk in chunks { try reader.consume(ByteBuffer(bytes: chunk)) }
        let form = try reader.finish()
        return .form(form.fields.map { Field(name: $0.0, value: $0.1) }, form.files.map {
            FilePart(name: $0.0, filename: $0.1.filename, contentType: $0.1.contentType, data: Array($0.1.data.readableBytesView))
        })
    } catch {
        return .failed(error.message)
    }
}

@main
enum Main {
    static func main() { runFuzzer(fuzzMultipart) }
}
