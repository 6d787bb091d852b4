import ChorusUpstream
import ChorusWire
import HTTPTypes
import NIOCore

/// What the chat API keeps of a provider's non-streamed chat completion: the assistant's text and the tokens the
/// provider counted. A refusal becomes an error the API can answer in its own shape: the provider's own 4xx
/// message for what was wrong with the request (400, 404, 413, 422 …), 429 for a provider that is rate limiting,
/// 502 for the rest (its 5xx, and a 401/403 about Chorus's own upstream key, which is not the caller's fault).
struct ChatCompletionAnswer: Sendable {
    var text: String
    var promptTokens: Int?
    var completionTokens: Int?
    var totalTokens: Int?

    /// The tokens to report: the provider's total, else its parts added up.
    var tokens: Int {
        totalTokens ?? ((promptTokens ?? 0) + (completionTokens ?? 0))
    }

    /// Longest error body read for its message.
    static let maxErrorBytes = 64 << 10

    static func read(_ response: UpstreamResponse, provider: String, limit: Int) async throws(GatewayError) -> Self {
        guard (200..<300).contains(response.status) else {
            throw await refusal(response, provider: provider)
        }
        let json = parse(try await collect(response, provider: provider, limit: limit))
        guard let message = json?["choices"]?.arrayValue?.first?["message"],
              let text = PromptSummary.contentText(message["content"]) ?? (message["content"]?.isNull == true ? "" : nil) else {
            throw .upstreamFailed(provider: provider, "its answer is not a chat completion")
        }
        let usage = json?["usage"]
        return Self(text: text, promptTokens: usage?["prompt_tokens"]?.intValue, completionTokens: usage?["completion_tokens"]?.intValue,
                    totalTokens: usage?["total_tokens"]?.intValue)
    }

    /// The error a non-2xx answer becomes (the RAG vectorizer calls read theirs the same way).
    static func refusal(_ response: UpstreamResponse, provider: String) async -> GatewayError {
        let status = response.status
        let body = try? await collect(response, provider: provider, limit: maxErrorBytes)
        let said = body.flatMap(parse)?["error"].flatMap { $0["message"]?.stringValue ?? $0.stringValue }
        switch status {
        case 429:
            return GatewayError(http: .tooManyRequests, message: "The model's provider is rate limiting requests; retry later.")
        case 400..<500 where status != 401 && status != 403 && status != 407:
            let text = said.map { String($0.prefix(300)) } ?? "status \(status)"
            return GatewayError(http: HTTPResponse.Status(code: status), message: "The model's provider refused the request: \(text)")
        default:
            return .upstreamFailed(provider: provider, "it answered \(status)")
        }
    }

    static func collect(_ response: UpstreamResponse, provider: String, limit: Int) async throws(GatewayError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: limit)
        } catch let error as UpstreamError {
            response.body.cancel()
            throw GatewayError(upstream: error, provider: provider)
        } catch {
            response.body.cancel()
            throw .upstreamFailed(provider: provider, "its answer could not be read")
        }
    }

    private static func parse(_ body: ByteBuffer) -> JSONValue? {
        try? body.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser.parse(bytes) }
    }
}
