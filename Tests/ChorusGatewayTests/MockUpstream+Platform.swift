import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat

/// The platform endpoints of the mock: rerank as vLLM/Infinity/Jina answer it (`/v1/rerank`), and tokenizers in
/// vLLM's shape at the server root (`/tokenize`, `/detokenize`) and in the llama.cpp server's under `/llama`.
/// Tokens are the text's UTF-8 bytes, so detokenizing inverts tokenizing exactly.
extension MockUpstream {
    func registerPlatformRoutes(on router: Router<BasicRequestContext>) {
        router.post("/v1/rerank") { request, _ in try await self.rerank(request) }
        router.post("/tokenize") { request, _ in try await self.tokenizer(request, path: "/tokenize", llama: false) }
        router.post("/detokenize") { request, _ in try await self.tokenizer(request, path: "/detokenize", llama: false) }
        router.post("/llama/tokenize") { request, _ in try await self.tokenizer(request, path: "/llama/tokenize", llama: true) }
        router.post("/llama/detokenize") { request, _ in try await self.tokenizer(request, path: "/llama/detokenize", llama: true) }
    }

    private func json(_ request: Request, path: String) async throws -> [String: Any] {
        var request = request
        let text = String(buffer: try await request.collectBody(upTo: 64 << 20))
        note(Received(path: path, headers: request.headers, body: text))
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    private static func answer(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))))
    }

    /// Relevance: the share of the query's words found in the document.
    private func rerank(_ request: Request) async throws -> Response {
        let body = try await json(request, path: "/v1/rerank")
        let model = body["model"] as? String ?? "?"
        if model == "fail" {
            return try Self.answer(["error": ["message": "Upstream says slow down", "type": "rate_limit_error"]], status: .tooManyRequests)
        }
        guard let query = body["query"] as? String, let documents = body["documents"] as? [Any] else {
            return try Self.answer(["detail": "query and documents are required"], status: .badRequest)
        }
        let words = Set(query.lowercased().split(separator: " ").map(String.init))
        let texts = documents.map { ($0 as? String) ?? (($0 as? [String: Any])?["text"] as? String) ?? "" }
        let scored = texts.enumerated().map { index, text -> (Int, Double) in
            let found = Set(text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
            return (index, words.isEmpty ? 0 : Double(words.intersection(found).count) / Double(words.count))
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        let top = (body["top_n"] as? Int).map { Array(scored.prefix($0)) } ?? scored
        let results = top.map { index, score -> [String: Any] in
            var result: [String: Any] = ["index": index, "relevance_score": score]
            if body["return_documents"] as? Bool == true { result["document"] = ["text": texts[index]] }
            return result
        }
        let tokens = texts.reduce(query.split(separator: " ").count) { $0 + $1.split(separator: " ").count }
        return try Self.answer(["id": "rerank-1", "model": model, "results": results, "usage": ["total_tokens": tokens]])
    }

    private func tokenizer(_ request: Request, path: String, llama: Bool) async throws -> Response {
        let body = try await json(request, path: path)
        if path.hasSuffix("/tokenize") {
            guard let text = (llama ? body["content"] : body["prompt"]) as? String, llama || body["model"] is String else {
                return try Self.answer(["error": "bad tokenize body"], status: .unprocessableContent)
            }
            let tokens: [Int] = text.utf8.map { Int($0) }
            let count: Int = tokens.count
            let vllm: [String: Any] = ["count": count, "max_model_len": 8192, "tokens": tokens]
            return try Self.answer(llama ? ["tokens": tokens] as [String: Any] : vllm)
        }
        guard let tokens = body["tokens"] as? [Int] else {
            return try Self.answer(["error": "bad detokenize body"], status: .unprocessableContent)
        }
        let text = String(decoding: tokens.map { UInt8(clamping: $0) }, as: UTF8.self)
        return try Self.answer(llama ? ["content": text] : ["prompt": text])
    }
}
