import ChorusUpstream
import ChorusWire
import Foundation
import NIOCore

/// The vectors of a provider's `/embeddings` answer in the order of the inputs (by each entry's `index`), with the
/// tokens it counted. An answer that is not that — a vector missing, of another length than the others, or not
/// numbers — is a 502: storing it would make the datastore unsearchable.
struct EmbeddingsAnswer: Sendable {
    var vectors: [[Float]]
    var promptTokens: Int?
    var totalTokens: Int?

    /// Largest answer read: a batch of 3,072-dimension vectors as JSON text is a few megabytes.
    static let maxBytes = 64 << 20

    static func read(_ response: UpstreamResponse, provider: String, inputs: Int) async throws(GatewayError) -> Self {
        guard (200..<300).contains(response.status) else {
            throw await ChatCompletionAnswer.refusal(response, provider: provider)
        }
        let body = try await ChatCompletionAnswer.collect(response, provider: provider, limit: maxBytes)
        guard let json = try? body.withUnsafeReadableBytes({ bytes throws(JSONParseError) in try JSONParser.parse(bytes) }),
              let data = json["data"]?.arrayValue, data.count == inputs else {
            throw .upstreamFailed(provider: provider, "its answer is not a list of \(inputs) embeddings")
        }
        var vectors = [[Float]?](repeating: nil, count: inputs)
        for (position, entry) in data.enumerated() {
            let index = entry["index"]?.intValue ?? position
            guard vectors.indices.contains(index), vectors[index] == nil else {
                throw .upstreamFailed(provider: provider, "its answer's embedding \(position) has no index of its own")
            }
            // `encoding_format: base64` in a provider's defaults: the Float32 little-endian bytes, base64-encoded.
            if let encoded = entry["embedding"]?.stringValue, let bytes = Data(base64Encoded: encoded),
               let vector = RAGVector.vector(from: bytes), !vector.isEmpty, vector.allSatisfy(\.isFinite) {
                vectors[index] = vector
                continue
            }
            guard let numbers = entry["embedding"]?.arrayValue, !numbers.isEmpty else {
                throw .upstreamFailed(provider: provider, "its answer's embedding \(position) is missing or not a list of numbers")
            }
            var vector: [Float] = []
            vector.reserveCapacity(numbers.count)
            for number in numbers {
                guard let value = number.doubleValue, value.isFinite else {
                    throw .upstreamFailed(provider: provider, "its answer's embedding \(position) is not a list of numbers")
                }
                vector.append(Float(value))
            }
            vectors[index] = vector
        }
        let complete = vectors.compactMap { $0 }
        guard complete.count == inputs, Set(complete.map(\.count)).count == 1 else {
            throw .upstreamFailed(provider: provider, "its answer's embeddings are not all there or not all of one length")
        }
        let usage = json["usage"]
        return Self(vectors: complete, promptTokens: usage?["prompt_tokens"]?.intValue, totalTokens: usage?["total_tokens"]?.intValue)
    }
}
