import ChorusGateway
import Foundation
import Testing

/// The configuration has one schema (`ConfigSchema`): the loader accepts exactly its keys, each of them changes
/// what is loaded, and the README's reference documents exactly them.
@Suite struct ConfigSchemaTests {
    /// The YAML block under "## Configuration" in the README.
    static func readmeConfigBlock() throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "## Configuration")).upperBound
        let open = try #require(text.range(of: "```yaml\n", range: section..<text.endIndex)).upperBound
        let close = try #require(text.range(of: "```", range: open..<text.endIndex)).lowerBound
        return String(text[open..<close])
    }

    /// Keys of the README block by section, read from its indentation (top level, `server:`, each provider) and
    /// from the model entries' flow mappings.
    static func documentedKeys(_ yaml: String) -> (top: Set<String>, server: Set<String>, provider: Set<String>, model: Set<String>) {
        var top = Set<String>(), server = Set<String>(), provider = Set<String>(), model = Set<String>()
        var section = ""
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            if body.hasPrefix("#") { continue }
            if indent == 0, let key = body.split(separator: ":").first {
                section = String(key)
                top.insert(section)
                continue
            }
            if section == "models", body.hasPrefix("- {") {
                model.formUnion(flowKeys(body.dropFirst(2)))
                continue
            }
            guard let colon = body.firstIndex(of: ":"), body[..<colon].allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) else { continue }
            let key = String(body[..<colon])
            if section == "server", indent == 2 { server.insert(key) }
            if section == "providers", indent == 4 { provider.insert(key) }
        }
        return (top, server, provider, model)
    }

    /// The keys at depth one of a `{a: 1, b: {c: 2}}` flow mapping.
    static func flowKeys(_ text: Substring) -> Set<String> {
        var keys = Set<String>()
        var depth = 0
        var word = ""
        for character in text {
            switch character {
            case "{", "[": depth += 1; word = ""
            case "}", "]": depth -= 1; word = ""
            case ":" where depth == 1: if !word.isEmpty { keys.insert(word) }; word = ""
            case ",", " ": word = ""
            default: word.append(character)
            }
        }
        return keys
    }

    @Test func readmeReferenceDocumentsExactlyTheLoadedKeys() throws {
        let documented = Self.documentedKeys(try Self.readmeConfigBlock())
        #expect(documented.top == ConfigSchema.top)
        #expect(documented.server == ConfigSchema.server)
        #expect(documented.provider == ConfigSchema.provider)
        #expect(documented.model == ConfigSchema.model)
    }

    @Test func readmeReferenceLoads() throws {
        let config = try ConfigLoader(environment: ["OPENAI_API_KEY": "sk-test"]).parse(try Self.readmeConfigBlock(), file: "README.md")
        #expect(config.providers.map(\.name) == ["openai", "sd", "local"])
        #expect(config.models.count == 16)
        #expect(config.models.last?.translationVia == TranslationVia(transcriptionModel: "whisper-1", chatModel: "gpt-4o-mini"))
        #expect(config.groups == ["audio": ["tts-1", "whisper-1"]])
    }

    /// A non-default value for every key: the key is loaded when the config it gives differs from the one
    /// without it. A key added to the schema without a sample here fails the test.
    static let samples: [String: String] = [
        "server.host": "server: {host: 0.0.0.0}", "server.port": "server: {port: 9999}",
        "server.max_upload_mb": "server: {max_upload_mb: 7}", "server.max_body_mb": "server: {max_body_mb: 7}",
        "server.public_url": "server: {public_url: 'https://x.example'}", "server.default_rpm": "server: {default_rpm: 5}",
        "server.key_cache_seconds": "server: {key_cache_seconds: 9}", "server.replicas": "server: {replicas: 3}",
        "blob_storage": "blob_storage: database", "server.log_level": "server: {log_level: debug}",
        "server.voice_sample_min_seconds": "server: {voice_sample_min_seconds: 2}",
        "server.voice_sample_max_seconds": "server: {voice_sample_max_seconds: 30}",
        "server.media_ttl_seconds": "server: {media_ttl_seconds: 60}", "server.max_image_pixels": "server: {max_image_pixels: 1000}",
        "server.header_timeout_seconds": "server: {header_timeout_seconds: 5}", "server.idle_timeout_seconds": "server: {idle_timeout_seconds: 5}",
        "server.body_timeout_seconds": "server: {body_timeout_seconds: 5}", "server.max_connections": "server: {max_connections: 7}",
        "server.shutdown_grace_seconds": "server: {shutdown_grace_seconds: 5}", "server.realtime_client_write_timeout_seconds": "server: {realtime_client_write_timeout_seconds: 3}", "server.metrics_key": "server: {metrics_key: k}",
        "server.global_rpm": "server: {global_rpm: 100}",
        "groups": "providers: {p: {type: builtin}}\nmodels: [{name: m, provider: p}]\ngroups: {g: [m]}",
        "server.log_retention_days": "server: {log_retention_days: 90}",
        "server.max_rerank_documents": "server: {max_rerank_documents: 10}",
        "server.long_context_concurrency": "server: {long_context_concurrency: 2}",
        "server.master_key": "server: {master_key: sk-chorus-a-long-master-key}",
        "server.chat_history_messages": "server: {chat_history_messages: 4}",
        "server.chat_history_characters": "server: {chat_history_characters: 1000}",
        "server.rag_chunk_chars": "server: {rag_chunk_chars: 500}",
        "server.rag_chunk_overlap": "server: {rag_chunk_overlap: 50}",
        "database": "database: other.sqlite", "voices_dir": "voices_dir: v2", "media_dir": "media_dir: m2",
        "providers": "providers: {p: {type: builtin}}", "models": "providers: {p: {type: builtin}}\nmodels: [{name: m, provider: p}]",
    ]
    static let providerSamples: [String: String] = [
        "type": "type: sdwebui", "base_url": "base_url: 'http://other:1'", "api_key": "api_key: k",
        "headers": "headers: {X-A: b}", "timeout": "timeout: 5", "stream_idle_timeout": "stream_idle_timeout: 5",
        "first_byte_timeout": "first_byte_timeout: 5", "ca_file": "ca_file: /etc/ssl/certs/ca-certificates.crt",
        "connect_timeout": "connect_timeout: 5", "defaults": "defaults: {a: 1}", "speech_formats": "speech_formats: [wav]",
        "voice_cloning": "voice_cloning: audio_sample", "mask_mode": "mask_mode: black_edits", "mask_edit_color": "mask_edit_color: black",
        "transcription_input": "transcription_input: wav16k", "transcription_formats": "transcription_formats: [json]",
        "allow_private_urls": "allow_private_urls: true", "image_formats": "image_formats: [png]", "image_params": "image_params: [n]",
        "image_input": "image_input: png", "max_audio_seconds": "max_audio_seconds: 600",
        "max_upload_mb": "max_upload_mb: 25", "split_parallel": "split_parallel: 3",
        "retries": "retries: 2", "retry_backoff": "retry_backoff: 1", "circuit_breaker_failures": "circuit_breaker_failures: 0",
        "circuit_breaker_cooldown": "circuit_breaker_cooldown: 5",
        "rerank_path": "rerank_path: /v2/rerank", "tokenize_path": "tokenize_path: /v1/tokenize",
        "detokenize_path": "detokenize_path: /v1/detokenize", "tokenizer": "tokenizer: llamacpp",
    ]
    static let modelSamples: [String: String] = [
        "name": "name: other", "provider": "provider: q", "model": "model: upstream", "defaults": "defaults: {a: 1}",
        "capabilities": "capabilities: [chat]", "price": "price: {per_request: 1}",
        "variations_via": "variations_via: edit", "variation_prompt": "variation_prompt: other",
        "shutdown_date": "shutdown_date: 2027-01-06", "deprecated_since": "deprecated_since: 2026-12-01",
        "image_caps": "image_caps: {max_n: 1}",
        "description": "description: words", "category": "category: Voices", "slug": "slug: the-model",
        "context_length": "context_length: 8192",
        "speech_via": "speech_via: realtime", "transcription_via": "transcription_via: realtime",
    ]

    @Test func everySchemaKeyChangesTheLoadedConfig() throws {
        let loader = ConfigLoader(environment: [:])
        func loaded(_ yaml: String) throws -> String { String(describing: try loader.parse(yaml, file: "t.yaml")).replacingOccurrences(of: "t.yaml", with: "") }

        for key in ConfigSchema.top.map({ $0 }) + ConfigSchema.server.map({ "server." + $0 }) where key != "server" {
            let sample = try #require(Self.samples[key], "no sample for \(key)")
            #expect(try loaded(sample) != loaded("{}"), "\(key) is accepted but not loaded")
        }
        let base = "type: openai\n    base_url: 'http://base:1'"
        let providerYAML = { (extra: String) in "providers:\n  p:\n    \(base)\n    \(extra)\n  q:\n    type: openai\n    base_url: 'http://q:1'\n" }
        let plain = try loaded(providerYAML("timeout: 60"))
        for key in ConfigSchema.provider {
            let sample = try #require(Self.providerSamples[key], "no sample for providers.*.\(key)")
            // `type` and `base_url` are in the base: the sample overrides them in a copy without them.
            let yaml = key == "type" || key == "base_url"
                ? "providers:\n  p:\n    type: openai\n    base_url: 'http://base:1'\n  q:\n    type: openai\n    base_url: 'http://q:1'\n"
                    .replacingOccurrences(of: key == "type" ? "type: openai\n    base_url: 'http://base:1'" : "base_url: 'http://base:1'",
                                          with: key == "type" ? "type: sdwebui\n    base_url: 'http://base:1'" : sample)
                : providerYAML(sample)
            #expect(try loaded(yaml) != plain, "providers.*.\(key) is accepted but not loaded")
        }
        let modelBase = providerYAML("timeout: 60") + "models:\n  - {name: m, provider: p"
        let plainModel = try loaded(modelBase + "}\n")
        // A fallback must name another model: compared against the same two models without it.
        let twoModels = modelBase + "}\n  - {name: n, provider: q}\n"
        #expect(try loaded(twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, fallbacks: [n]}")) != loaded(twoModels))
        // So must a replacement; `on_shutdown: remap` needs a date and a replacement, and is compared with the default.
        #expect(try loaded(twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, replacement: n}")) != loaded(twoModels))
        let shutDown = twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, shutdown_date: 2027-01-06, replacement: n}")
        #expect(try loaded(shutDown.replacingOccurrences(of: "replacement: n}", with: "replacement: n, on_shutdown: remap}")) != loaded(shutDown))
        let lifecycleKeys: Set<String> = ["replacement", "on_shutdown", "translation_via", "chat_model"]
        #expect(try loaded(twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, chat_model: n}")) != loaded(twoModels))
        #expect(throws: ConfigError.self) { try loader.parse(twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, chat_model: nope}"), file: "t.yaml") }
        #expect(try loaded(twoModels.replacingOccurrences(of: "provider: p}", with: "provider: p, translation_via: {transcription_model: n, chat_model: n}}")) != loaded(twoModels))
        for key in ConfigSchema.model where key != "name" && key != "provider" && key != "fallbacks" && !lifecycleKeys.contains(key) {
            let sample = try #require(Self.modelSamples[key], "no sample for models[].\(key)")
            #expect(try loaded(modelBase + ", " + sample + "}\n") != plainModel, "models[].\(key) is accepted but not loaded")
        }
        #expect(try loaded(providerYAML("timeout: 60") + "models:\n  - {name: other, provider: p}\n") != plainModel)
        #expect(try loaded(providerYAML("timeout: 60") + "models:\n  - {name: m, provider: q}\n") != plainModel)
    }
}
