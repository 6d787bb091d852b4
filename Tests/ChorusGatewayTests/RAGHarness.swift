import ChorusGateway
import ChorusWire
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// `platformConfig` plus embeddings models for the RAG datastores: `embed` on the mock (hashed bag-of-words
/// vectors; `embed-base64` asks for them base64-encoded), `embed-down` on a provider nobody listens to, and `chat-only` (no embeddings) from the platform config.
func ragConfig(upstreamPort: Int) -> GatewayConfig {
    var config = platformConfig(upstreamPort: upstreamPort)
    var down = ProviderConfig(name: "down", type: .openai)
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    down.baseURL = "http://127.0.0.1:1/v1"
    down.connectTimeout = 2
    config.providers.append(down)
    config.models += [
        ModelConfig(name: "embed", provider: "mock", model: "upstream-embed", capabilities: [.embeddings]),
        ModelConfig(name: "embed-down", provider: "down", model: "upstream-embed", capabilities: [.embeddings]),
        ModelConfig(name: "embed-base64", provider: "mock", model: "upstream-embed", defaults: ["encoding_format": .string("base64")],
                    capabilities: [.embeddings]),
    ]
    return config
}

/// Calls of the RAG routes with a key, answers as dictionaries.
struct RAGClient {
    let client: any TestClientProtocol
    var key = masterKey

    func post(_ path: String, _ json: Any) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await client.execute(uri: "/lollms/v1/rag/" + path, method: .post, headers: bearer(key), body: ByteBuffer(data: body))
    }

    func post(_ path: String, raw: String) async throws -> TestResponse {
        try await client.execute(uri: "/lollms/v1/rag/" + path, method: .post, headers: bearer(key), body: ByteBuffer(string: raw))
    }

    func get(_ path: String) async throws -> TestResponse {
        try await client.execute(uri: "/lollms/v1/rag/" + path, method: .get, headers: bearer(key))
    }

    func delete(_ path: String) async throws -> TestResponse {
        try await client.execute(uri: "/lollms/v1/rag/" + path, method: .delete, headers: bearer(key))
    }

    /// A file upload to a datastore.
    func upload(_ datastore: Int, file: [UInt8], filename: String, contentType: String = "application/octet-stream",
                title: String? = nil) async throws -> TestResponse {
        let boundary = "chorus-rag-boundary"
        var body = ByteBuffer()
        if let title { body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\(title)\r\n") }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        body.writeBytes(file)
        body.writeString("\r\n--\(boundary)--\r\n")
        return try await client.execute(uri: "/lollms/v1/rag/databases/\(datastore)/documents", method: .post,
                                        headers: [.authorization: "Bearer \(key)", .contentType: "multipart/form-data; boundary=\(boundary)"],
                                        body: body)
    }

    /// Creates a datastore and returns its id.
    func create(_ name: String, vectorizer: String = "embed", isPublic: Bool = false) async throws -> Int {
        let response = try await post("databases", ["name": name, "description": "about \(name)", "vectorizer": vectorizer, "is_public": isPublic])
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try #require(try Self.object(response)["id"] as? Int)
    }

    func query(_ datastore: Int, _ query: String, topK: Int? = nil) async throws -> TestResponse {
        var json: [String: Any] = ["datastore_id": datastore, "query": query]
        if let topK { json["top_k"] = topK }
        return try await post("query", json)
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(String(buffer: response.body))")
    }

    static func data(_ response: TestResponse) throws -> [[String: Any]] {
        let object = try object(response)
        #expect(object["object"] as? String == "list")
        return try #require(object["data"] as? [[String: Any]])
    }
}

/// A one-page PDF whose page shows `text` (Helvetica), with a correct cross-reference table: what pdftotext reads.
func tinyPDF(_ text: String) -> [UInt8] {
    let content = "BT /F1 12 Tf 72 720 Td (\(text)) Tj ET"
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    var pdf = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
        offsets.append(pdf.utf8.count)
        pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let xref = pdf.utf8.count
    pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets { pdf += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
    pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    return Array(pdf.utf8)
}
