import ChorusWire
import NIOCore

/// Embeds texts with a datastore's vectorizer the way `/v1/embeddings` calls a provider: the catalog resolves the
/// model for the caller (`.embeddings`), and each batch is one `TextCall` (`{"model", "input": [texts…]}`) through
/// `Failover` — retries and the provider's circuit apply, fallbacks do not, since another model's vectors cannot
/// be compared with the ones stored. Every batch's tokens go on the request's one usage row.
struct RAGVectorizer: Sendable {
    let services: GatewayServices

    /// Texts per upstream call (OpenAI takes up to 2,048 inputs; local servers are happier with fewer).
    static let batchSize = 32

    /// The model, or 404 (unknown), 403 (not for this key) or 501 (no embeddings) naming `param`.
    func resolve(_ name: String, for caller: Caller, trace: RequestTrace, param: String = "vectorizer") throws(GatewayError) -> ResolvedModel {
        do {
            return try services.catalog.resolve(name, for: caller, capability: .embeddings, trace: trace)
        } catch {
            // The catalog names `model`; here the model came from `vectorizer`.
            guard error.param == "model" else { throw error }
            throw GatewayError(error.code, error.message, param: param, retryAfter: error.retryAfter, detail: error.detail)
        }
    }

    /// One vector per text, in order; nothing is kept when any batch fails.
    func embed(_ texts: [String], with model: ResolvedModel, caller: Caller, trace: RequestTrace) async throws(GatewayError) -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + Self.batchSize)])
            let json = JSONValue.object([("model", .string(model.name)), ("input", .array(batch.map(JSONValue.string)))])
            let call = TextCall(route: .embeddings, json: json, stream: false)
            // Each call holds the model's points for itself (the ledger adds them up on the row).
            let (upstream, answered) = try await services.failover.run(model, caller: caller, capability: .embeddings, trace: trace,
                                                                       admits: { _ in false }) { candidate throws(GatewayError) in
                guard let provider = candidate.provider.text else { throw candidate.provider.missing(.embeddings) }
                return try await provider.send(call, model: candidate.config)
            }
            let answer = try await EmbeddingsAnswer.read(upstream, provider: answered.providerName, inputs: batch.count)
            if let first = vectors.first, first.count != answer.vectors[0].count {
                throw .upstreamFailed(provider: answered.providerName, "its embeddings changed length within one document")
            }
            vectors += answer.vectors
            trace.update { record in
                if let tokens = answer.promptTokens { record.promptTokens = (record.promptTokens ?? 0) + tokens }
                if let tokens = answer.totalTokens ?? answer.promptTokens { record.totalTokens = (record.totalTokens ?? 0) + tokens }
            }
            start += batch.count
        }
        return vectors
    }
}
