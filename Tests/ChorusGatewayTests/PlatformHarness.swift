import ChorusGateway
import Foundation

/// `testConfig` plus the models the platform surfaces need: a reranker, chat models with tokenizers in vLLM's and
/// llama.cpp's shapes, a chat-only model, and catalog words (descriptions, categories, slugs, context lengths).
func platformConfig(upstreamPort: Int) -> GatewayConfig {
    var config = testConfig(upstreamPort: upstreamPort)
    var llama = ProviderConfig(name: "llama", type: .openai)
    llama.baseURL = "http://127.0.0.1:\(upstreamPort)/llama/v1"
    llama.tokenizer = .llamacpp
    config.providers.append(llama)
    var reranker = ModelConfig(name: "reranker", provider: "mock", model: "bge-reranker-v2-m3", capabilities: [.rerank])
    reranker.description = "Multilingual reranker for search results"
    reranker.category = "Search"
    reranker.slug = "bge-rerank"
    var vllmChat = ModelConfig(name: "vllm-chat", provider: "mock", model: "upstream-model", capabilities: [.chat, .tokenize])
    vllmChat.description = "A chat model on vLLM"
    vllmChat.contextLength = 8192
    var llamaChat = ModelConfig(name: "llama-chat", provider: "llama", model: "llama-3", capabilities: [.chat, .tokenize])
    llamaChat.category = "Open models"
    let chatOnly = ModelConfig(name: "chat-only", provider: "mock", model: "upstream-model", capabilities: [.chat])
    let failingReranker = ModelConfig(name: "fail-rerank", provider: "mock", model: "fail", capabilities: [.rerank])
    config.models += [reranker, vllmChat, llamaChat, chatOnly, failingReranker]
    return config
}
