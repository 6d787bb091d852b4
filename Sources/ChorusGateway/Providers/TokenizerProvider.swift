/// A model's tokenizer, as its server exposes it (`/lollms/v1/tokenize`, `/lollms/v1/detokenize`).
protocol TokenizerProvider: Sendable {
    func tokenize(_ text: String, model: ModelConfig) async throws(GatewayError) -> [Int]
    func detokenize(_ tokens: [Int], model: ModelConfig) async throws(GatewayError) -> String
}
