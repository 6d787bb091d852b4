public import NIOCore

extension MultipartForm {
    /// A multipart/form-data body for an upstream as a list of buffers to send one after another: the text fields
    /// and each file's part headers are small new buffers, each file is its own `data` buffer as it is (a ByteBuffer
    /// copy shares storage: no bytes are copied). With `UpstreamRequestBody.buffers` a large upload reaches the
    /// provider without ever being copied into one new body. Returns the Content-Type (with its random boundary).
    public static func encodeParts(fields: [(String, String)], files: [(String, File)]) -> (contentType: String, parts: [ByteBuffer]) {
        var generator = SystemRandomNumberGenerator()
        let boundary = "chorus-" + String(generator.next() as UInt64, radix: 36) + String(generator.next() as UInt64, radix: 36)
        var parts: [ByteBuffer] = []
        var head = ByteBuffer()
        for (name, value) in fields {
            head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for (field, file) in files {
            // The client's filename goes into a header line: no quote or line break may end it early. Filtered by
            // scalar: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
            let scalars = (file.filename ?? "file").unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" }
            let filename = String(String.UnicodeScalarView(scalars))
            head.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n")
            head.writeString("Content-Type: \(file.contentType ?? "application/octet-stream")\r\n\r\n")
            parts.append(head)
            parts.append(file.data)
            head = ByteBuffer(string: "\r\n")
        }
        head.writeString("--\(boundary)--\r\n")
        parts.append(head)
        return ("multipart/form-data; boundary=\(boundary)", parts)
    }
}
