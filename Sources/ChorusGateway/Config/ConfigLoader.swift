import ChorusMedia
import Foundation
import Yams

/// Reads `chorus.yaml`. Unknown keys are errors (a typo should not silently drop a setting), and every error names
/// the file, the key path and the line. The keys are `ConfigSchema`'s; the README documents each of them.
/// Scalars may use `${VAR}` (an error when VAR is unset) or `${VAR:-fallback}`.
public struct ConfigLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The config at `path`, or — when `path` is nil — at `CHORUS_CONFIG`, or the embedded default.
    public func load(path: String?) throws -> GatewayConfig {
        guard let path = path ?? environment["CHORUS_CONFIG"], !path.isEmpty else {
            return .embeddedDefault
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", problem: "cannot read the file", line: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", problem: "the file is not UTF-8 text", line: nil)
        }
        return try parse(text, file: path)
    }

    public func parse(_ text: String, file: String) throws -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: file, keyPath: "", problem: "invalid YAML: \(error)", line: nil)
        }
        var config = GatewayConfig()
        config.sourcePath = file
        guard let root else { return config }
        let reader = NodeReader(file: file, environment: environment)
        let top = try reader.mapping(root, path: "", allowed: ConfigSchema.top)

        if let server = top["server"] {
            let s = try reader.mapping(server, path: "server", allowed: ConfigSchema.server)
            if let v = s["host"] { config.server.host = try reader.string(v, path: "server.host") }
            if let v = s["port"] { config.server.port = try reader.int(v, path: "server.port", range: 0...65535) }
            if let v = s["long_context_concurrency"] {
                config.server.longContextConcurrency = try reader.int(v, path: "server.long_context_concurrency", range: 1...64)
            }
            if let v = s["max_rerank_documents"] {
                config.server.maxRerankDocuments = try reader.int(v, path: "server.max_rerank_documents", range: 1...100_000)
            }
            if let v = s["max_upload_mb"] { config.server.maxUploadMB = try reader.int(v, path: "server.max_upload_mb", range: 1...4096) }
            if let v = s["max_body_mb"] { config.server.maxBodyMB = try reader.int(v, path: "server.max_body_mb", range: 1...4096) }
            if let v = s["default_rpm"] { config.server.defaultRPM = try reader.int(v, path: "server.default_rpm", range: 0...10_000_000) }
            if let v = s["global_rpm"] { config.server.globalRPM = try reader.int(v, path: "server.global_rpm", range: 0...100_000_000) }
            if let v = s["replicas"] { config.server.replicas = try reader.int(v, path: "server.replicas", range: 1...1000) }
            if let v = s["key_cache_seconds"] { config.server.keyCacheSeconds = try reader.double(v, path: "server.key_cache_seconds", range: 0...3600) }
            if let v = s["log_level"] {
                config.server.logLevel = try reader.choice(v, path: "server.log_level", from: ["trace", "debug", "info", "notice", "warning", "error", "critical"])
            }
            if let v = s["voice_sample_min_seconds"] {
                config.server.voiceSampleMinSeconds = try reader.double(v, path: "server.voice_sample_min_seconds", range: 0.1...600)
            }
            if let v = s["voice_sample_max_seconds"] {
                config.server.voiceSampleMaxSeconds = try reader.double(v, path: "server.voice_sample_max_seconds", range: 1...600)
            }
            if let v = s["media_ttl_seconds"] {
                config.server.mediaTTLSeconds = try reader.double(v, path: "server.media_ttl_seconds", range: 1...(366 * 86400))
            }
            if let v = s["max_image_pixels"] {
                config.server.maxImagePixels = try reader.int(v, path: "server.max_image_pixels", range: 1...(1 << 30))
            }
            if let v = s["header_timeout_seconds"] {
                config.server.headerTimeoutSeconds = try reader.double(v, path: "server.header_timeout_seconds", range: 0.01...3600)
            }
            if let v = s["idle_timeout_seconds"] {
                config.server.idleTimeoutSeconds = try reader.double(v, path: "server.idle_timeout_seconds", range: 0.01...86400)
            }
            if let v = s["body_timeout_seconds"] {
                config.server.bodyTimeoutSeconds = try reader.double(v, path: "server.body_timeout_seconds", range: 0.01...3600)
            }
            if let v = s["max_connections"] {
                config.server.maxConnections = try reader.int(v, path: "server.max_connections", range: 0...1_000_000)
            }
            if let v = s["realtime_client_write_timeout_seconds"] {
                config.server.realtimeClientWriteTimeoutSeconds = try reader.double(v, path: "server.realtime_client_write_timeout_seconds", range: 0.05...3600)
            }
            if let v = s["shutdown_grace_seconds"] {
                config.server.shutdownGraceSeconds = try reader.double(v, path: "server.shutdown_grace_seconds", range: 0...3600)
            }
            if let v = s["metrics_key"] {
                // Empty (e.g. `${CHORUS_METRICS_KEY:-}` with the variable unset) means no key: /metrics stays open.
                let key = try reader.string(v, path: "server.metrics_key")
                config.server.metricsKey = key.isEmpty ? nil : key
            }
            if let v = s["master_key"] {
                // Empty (`${CHORUS_MASTER_KEY:-}` unset) means none here: the environment, or a generated one, decides.
                let key = try reader.string(v, path: "server.master_key")
                guard key.isEmpty || key.count >= 16 else {
                    throw reader.error("server.master_key", "is \(key.count) characters; a master key needs at least 16", v)
                }
                config.server.masterKey = key.isEmpty ? nil : key
            }
            if let v = s["log_retention_days"] {
                config.server.logRetentionDays = try reader.int(v, path: "server.log_retention_days", range: 0...36500)
            }
            if let v = s["chat_history_messages"] {
                config.server.chatHistoryMessages = try reader.int(v, path: "server.chat_history_messages", range: 0...10_000)
            }
            if let v = s["chat_history_characters"] {
                config.server.chatHistoryCharacters = try reader.int(v, path: "server.chat_history_characters", range: 0...100_000_000)
            }
            if let v = s["rag_chunk_chars"] {
                config.server.ragChunkCharacters = try reader.int(v, path: "server.rag_chunk_chars", range: 100...100_000)
            }
            if let v = s["rag_chunk_overlap"] {
                config.server.ragChunkOverlap = try reader.int(v, path: "server.rag_chunk_overlap", range: 0...50_000)
            }
            if config.server.voiceSampleMinSeconds > config.server.voiceSampleMaxSeconds {
                throw reader.error("server.voice_sample_min_seconds", "must not exceed voice_sample_max_seconds", server)
            }
            if let v = s["public_url"] {
                config.server.publicURL = try reader.url(v, path: "server.public_url")
                config.server.publicURLIsExplicit = true
            } else {
                config.server.publicURL = "http://\(config.server.host):\(config.server.port)"
            }
        }
        if let v = top["database"] { config.database = try reader.string(v, path: "database") }
        if let v = top["voices_dir"] { config.voicesDirectory = try reader.string(v, path: "voices_dir") }
        if let v = top["media_dir"] { config.mediaDirectory = try reader.string(v, path: "media_dir") }
        if let v = top["blob_storage"] { config.blobStorage = try reader.choice(v, path: "blob_storage", of: BlobStorage.self) }

        if let providers = top["providers"] {
            for (name, node) in try reader.orderedMapping(providers, path: "providers") {
                config.providers.append(try provider(name: name, node: node, reader: reader))
            }
        }
        if let models = top["models"] {
            guard case .sequence(let sequence) = models else {
                throw reader.error("models", "expected a list of models", models)
            }
            for (index, node) in sequence.enumerated() {
                let model = try self.model(node: node, path: "models[\(index)]", reader: reader)
                if config.models.contains(where: { $0.name == model.name }) {
                    throw reader.error("models[\(index)].name", "duplicate model name '\(model.name)'", node)
                }
                let slug = model.slug ?? model.name
                if config.models.contains(where: { ($0.slug ?? $0.name) == slug }) {
                    throw reader.error("models[\(index)].slug", "duplicate catalog slug '\(slug)'", node)
                }
                guard config.providers.contains(where: { $0.name == model.provider }) else {
                    let known = config.providers.map(\.name).joined(separator: ", ")
                    throw reader.error("models[\(index)].provider", "unknown provider '\(model.provider)' (known: \(known))", node)
                }
                config.models.append(model)
            }
            for (index, model) in config.models.enumerated() {
                for (position, fallback) in model.fallbacks.enumerated() {
                    let path = "models[\(index)].fallbacks[\(position)]"
                    guard fallback != model.name else { throw reader.error(path, "a model cannot be its own fallback", models) }
                    guard config.models.contains(where: { $0.name == fallback }) else {
                        throw reader.error(path, "unknown model '\(fallback)'", models)
                    }
                }
                if let chat = model.chatModel {
                    let path = "models[\(index)].chat_model"
                    guard chat != model.name else { throw reader.error(path, "a model cannot answer through itself", models) }
                    guard config.models.contains(where: { $0.name == chat }) else {
                        throw reader.error(path, "unknown model '\(chat)'", models)
                    }
                }
                if let via = model.translationVia {
                    for (key, name) in [("transcription_model", via.transcriptionModel), ("chat_model", via.chatModel)] {
                        let path = "models[\(index)].translation_via.\(key)"
                        guard name != model.name else { throw reader.error(path, "a model cannot translate through itself", models) }
                        guard config.models.contains(where: { $0.name == name }) else {
                            throw reader.error(path, "unknown model '\(name)'", models)
                        }
                    }
                }
            }
        }
        if let models = top["models"], case .sequence(let nodes) = models {
            try checkReplacements(config.models, nodes: Array(nodes), reader: reader)
        }
        if let groups = top["groups"] {
            for (name, node) in try reader.orderedMapping(groups, path: "groups") {
                let path = "groups.\(name)"
                // A key's model list names models and groups alike, so one name cannot be both.
                if config.models.contains(where: { $0.name == name }) {
                    throw reader.error(path, "'\(name)' is a model's name; a group needs its own", node)
                }
                guard case .sequence(let names) = node else { throw reader.error(path, "expected a list of model names", node) }
                config.groups[name] = try names.enumerated().map { index, item in
                    let model = try reader.string(item, path: "\(path)[\(index)]")
                    guard config.models.contains(where: { $0.name == model }) else {
                        throw reader.error("\(path)[\(index)]", "unknown model '\(model)'", item)
                    }
                    return model
                }
            }
        }
        return config
    }

    /// Each `replacement` names another configured model, and following replacements never comes back to a model
    /// already on the way (a remap must end at a model that is served).
    private func checkReplacements(_ models: [ModelConfig], nodes: [Node], reader: NodeReader) throws {
        let byName = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, model) in models.enumerated() {
            guard let replacement = model.replacement else { continue }
            let path = "models[\(index)].replacement"
            let node = index < nodes.count ? (try? reader.mapping(nodes[index], path: path, allowed: ConfigSchema.model))?["replacement"] : nil
            guard replacement != model.name else { throw reader.error(path, "a model cannot be its own replacement", node) }
            guard byName[replacement] != nil else { throw reader.error(path, "unknown model '\(replacement)'", node) }
            var chain = [model.name]
            var next: String? = replacement
            while let name = next {
                if chain.contains(name) {
                    throw reader.error(path, "replacements form a cycle: \((chain + [name]).joined(separator: " -> "))", node)
                }
                chain.append(name)
                next = byName[name]?.replacement
            }
        }
    }

    private func imageCaps(_ node: Node, path: String, reader: NodeReader) throws -> ImageCaps {
        let m = try reader.mapping(node, path: path, allowed: ConfigSchema.imageCaps)
        var caps = ImageCaps()
        if let v = m["sizes"] {
            guard case .sequence(let items) = v, items.count > 0 else { throw reader.error(path + ".sizes", "expected a list of sizes", v) }
            caps.sizes = try items.enumerated().map { index, item in
                let itemPath = "\(path).sizes[\(index)]"
                let text = try reader.string(item, path: itemPath)
                guard let size = ImageCaps.normalizedSize(text) else {
                    throw reader.error(itemPath, "expected WIDTHxHEIGHT (e.g. 1024x1024) or auto, got \"\(text)\"", item)
                }
                return size
            }
        }
        if let v = m["size_rule"] {
            if m["sizes"] != nil { throw reader.error(path + ".size_rule", "give sizes or size_rule, not both", v) }
            let rulePath = path + ".size_rule"
            let r = try reader.mapping(v, path: rulePath, allowed: ConfigSchema.sizeRule)
            var rule = ImageCaps.SizeRule()
            if let v = r["multiple_of"] { rule.multipleOf = try reader.int(v, path: rulePath + ".multiple_of", range: 1...4096) }
            if let v = r["min_pixels"] { rule.minPixels = try reader.int(v, path: rulePath + ".min_pixels", range: 1...(1 << 30)) }
            if let v = r["max_pixels"] { rule.maxPixels = try reader.int(v, path: rulePath + ".max_pixels", range: 1...(1 << 30)) }
            for key in ["min_aspect", "max_aspect"] {
                guard let v = r[key] else { continue }
                let text = try reader.string(v, path: "\(rulePath).\(key)")
                guard let aspect = ImageCaps.Aspect(text) else {
                    throw reader.error("\(rulePath).\(key)", "expected WIDTH:HEIGHT, sides 1 to 100000 (e.g. \"1:3\"), got \"\(text)\"", v)
                }
                if key == "min_aspect" { rule.minAspect = aspect } else { rule.maxAspect = aspect }
            }
            if let low = rule.minPixels, let high = rule.maxPixels, low > high {
                throw reader.error(rulePath + ".min_pixels", "must not exceed max_pixels", r["min_pixels"])
            }
            if let low = rule.minAspect, let high = rule.maxAspect, low.isWider(than: high.width, high.height) {
                throw reader.error(rulePath + ".min_aspect", "must not be wider than max_aspect", r["min_aspect"])
            }
            caps.sizeRule = rule
        }
        if let v = m["formats"] { caps.formats = try reader.choices(v, path: path + ".formats", of: ImageFormat.self) }
        if let v = m["transparency"] { caps.transparency = try reader.bool(v, path: path + ".transparency") }
        // A request asks for at most 10 images (`n`), so a larger cap would allow nothing more.
        if let v = m["max_n"] { caps.maxN = try reader.int(v, path: path + ".max_n", range: 1...10) }
        if let v = m["qualities"] {
            guard case .sequence(let items) = v, items.count > 0 else { throw reader.error(path + ".qualities", "expected a list", v) }
            caps.qualities = try items.enumerated().map { index, item in
                let text = try reader.string(item, path: "\(path).qualities[\(index)]")
                guard !text.isEmpty else { throw reader.error("\(path).qualities[\(index)]", "must not be empty", item) }
                return text
            }
        }
        return caps
    }

    private func provider(name: String, node: Node, reader: NodeReader) throws -> ProviderConfig {
        let path = "providers.\(name)"
        let m = try reader.mapping(node, path: path, allowed: ConfigSchema.provider)
        guard let typeNode = m["type"] else { throw reader.error(path + ".type", "missing (openai, sdwebui or builtin)", node) }
        var provider = ProviderConfig(name: name, type: try reader.choice(typeNode, path: path + ".type", of: ProviderType.self))
        if let v = m["base_url"] {
            provider.baseURL = try reader.url(v, path: path + ".base_url")
            while provider.baseURL.hasSuffix("/") { provider.baseURL.removeLast() }
        } else if provider.type != .builtin {
            throw reader.error(path + ".base_url", "missing (the provider's URL, e.g. https://api.openai.com/v1)", node)
        }
        if let v = m["api_key"] {
            let key = try reader.string(v, path: path + ".api_key")
            provider.apiKey = key.isEmpty ? nil : key
        }
        if let v = m["headers"] {
            for (header, valueNode) in try reader.orderedMapping(v, path: path + ".headers") {
                provider.headers.append((header, try reader.string(valueNode, path: "\(path).headers.\(header)")))
            }
        }
        if let v = m["timeout"] { provider.timeout = try reader.double(v, path: path + ".timeout", range: 0...86400) }
        if let v = m["stream_idle_timeout"] {
            provider.streamIdleTimeout = try reader.double(v, path: path + ".stream_idle_timeout", range: 0...86400)
        }
        if let v = m["first_byte_timeout"] {
            provider.firstByteTimeout = try reader.double(v, path: path + ".first_byte_timeout", range: 0...86400)
        }
        if let v = m["ca_file"] {
            let file = try reader.string(v, path: path + ".ca_file")
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw reader.error(path + ".ca_file", "'\(file)' cannot be read (a PEM file of certificate authorities)", v)
            }
            provider.caFile = file
        }
        if let v = m["connect_timeout"] { provider.connectTimeout = try reader.double(v, path: path + ".connect_timeout", range: 0.1...600) }
        if let v = m["max_audio_seconds"] {
            provider.maxAudioSeconds = try reader.double(v, path: path + ".max_audio_seconds", range: 1...86400)
        }
        if let v = m["max_upload_mb"] { provider.maxUploadMB = try reader.double(v, path: path + ".max_upload_mb", range: 0.1...100_000) }
        for (key, keyPath) in [("rerank_path", \ProviderConfig.rerankPath), ("tokenize_path", \.tokenizePath), ("detokenize_path", \.detokenizePath)] {
            guard let v = m[key] else { continue }
            let value = try reader.string(v, path: path + "." + key)
            guard value.hasPrefix("/") else { throw reader.error(path + "." + key, "must start with '/'", v) }
            provider[keyPath: keyPath] = value
        }
        if let v = m["tokenizer"] { provider.tokenizer = try reader.choice(v, path: path + ".tokenizer", of: TokenizerAPI.self) }
        if let v = m["split_parallel"] { provider.splitParallel = Int(try reader.double(v, path: path + ".split_parallel", range: 1...16)) }
        if let v = m["defaults"] { provider.defaults = try reader.jsonObject(v, path: path + ".defaults") }
        if let v = m["speech_formats"] {
            provider.speechFormats = try reader.choices(v, path: path + ".speech_formats", of: AudioFormat.self)
        }
        if let v = m["voice_cloning"] {
            // `match` is what the embedded engine does, not something a provider can be configured into.
            let value = try reader.choice(v, path: path + ".voice_cloning", from: [VoiceCloning.none, .audioSample].map(\.rawValue))
            provider.voiceCloning = VoiceCloning(rawValue: value) ?? .none
        }
        if let v = m["mask_mode"] {
            provider.maskMode = try reader.choice(v, path: path + ".mask_mode", of: MaskMode.self)
            if provider.type == .sdwebui, provider.maskMode == .alpha {
                throw reader.error(path + ".mask_mode", "SD WebUI reads its mask by brightness; use white_edits or black_edits", v)
            }
        }
        if let v = m["mask_edit_color"] { provider.maskEditColor = try reader.choice(v, path: path + ".mask_edit_color", of: MaskEditColor.self) }
        if let v = m["transcription_input"] {
            provider.transcriptionInput = try reader.choice(v, path: path + ".transcription_input", of: TranscriptionInput.self)
        }
        if let v = m["transcription_formats"] {
            provider.transcriptionFormats = try reader.choices(v, path: path + ".transcription_formats", of: TranscriptFormat.self)
        }
        if let v = m["image_formats"] {
            provider.imageFormats = try reader.choices(v, path: path + ".image_formats", of: ImageFormat.self)
        }
        if let v = m["image_params"] {
            provider.imageParams = try reader.stringList(v, path: path + ".image_params", from: ProviderConfig.allImageParams)
        }
        if let v = m["image_input"] { provider.imageInput = try reader.choice(v, path: path + ".image_input", of: ImageInput.self) }
        if let v = m["allow_private_urls"] { provider.allowPrivateURLs = try reader.bool(v, path: path + ".allow_private_urls") }
        if let v = m["retries"] { provider.retries = try reader.int(v, path: path + ".retries", range: 0...10) }
        if let v = m["retry_backoff"] { provider.retryBackoff = try reader.double(v, path: path + ".retry_backoff", range: 0...60) }
        if let v = m["circuit_breaker_failures"] {
            provider.circuitBreakerFailures = try reader.int(v, path: path + ".circuit_breaker_failures", range: 0...1000)
        }
        if let v = m["circuit_breaker_cooldown"] {
            provider.circuitBreakerCooldown = try reader.double(v, path: path + ".circuit_breaker_cooldown", range: 0.05...86400)
        }
        return provider
    }

    private func model(node: Node, path: String, reader: NodeReader) throws -> ModelConfig {
        let m = try reader.mapping(node, path: path, allowed: ConfigSchema.model)
        guard let nameNode = m["name"] else { throw reader.error(path + ".name", "missing", node) }
        guard let providerNode = m["provider"] else { throw reader.error(path + ".provider", "missing", node) }
        let name = try reader.string(nameNode, path: path + ".name")
        guard !name.isEmpty else { throw reader.error(path + ".name", "must not be empty", nameNode) }
        var model = ModelConfig(name: name, provider: try reader.string(providerNode, path: path + ".provider"), model: name)
        if let v = m["model"] { model.model = try reader.string(v, path: path + ".model") }
        if let v = m["defaults"] { model.defaults = try reader.jsonObject(v, path: path + ".defaults") }
        if let v = m["capabilities"] {
            model.capabilities = Set(try reader.choices(v, path: path + ".capabilities", of: Capability.self))
        }
        if let v = m["fallbacks"] {
            guard case .sequence(let names) = v else { throw reader.error(path + ".fallbacks", "expected a list of model names", v) }
            model.fallbacks = try names.enumerated().map { try reader.string($1, path: path + ".fallbacks[\($0)]") }
        }
        if let v = m["shutdown_date"] { model.shutdownDate = try reader.day(v, path: path + ".shutdown_date") }
        if let v = m["deprecated_since"] { model.deprecatedSince = try reader.day(v, path: path + ".deprecated_since") }
        if let v = m["replacement"] { model.replacement = try reader.string(v, path: path + ".replacement") }
        if let v = m["on_shutdown"] { model.onShutdown = try reader.choice(v, path: path + ".on_shutdown", of: ShutdownAction.self) }
        if let deprecated = model.deprecatedSince, let shutdown = model.shutdownDate, deprecated > shutdown {
            // RFC 9745: a Sunset earlier than the Deprecation it follows is a misconfiguration.
            throw reader.error(path + ".deprecated_since", "must not be after shutdown_date", m["deprecated_since"])
        }
        if let v = m["on_shutdown"], model.shutdownDate == nil {
            throw reader.error(path + ".on_shutdown", "has no effect without shutdown_date", v)
        }
        if model.onShutdown == .remap, model.replacement == nil {
            throw reader.error(path + ".on_shutdown", "remap needs a replacement", m["on_shutdown"])
        }
        if let v = m["image_caps"] { model.imageCaps = try imageCaps(v, path: path + ".image_caps", reader: reader) }
        if let v = m["description"] { model.description = try reader.string(v, path: path + ".description") }
        if let v = m["category"] {
            let category = try reader.string(v, path: path + ".category")
            guard !category.isEmpty else { throw reader.error(path + ".category", "must not be empty", v) }
            model.category = category
        }
        if let v = m["slug"] {
            let slug = try reader.string(v, path: path + ".slug")
            // A slug is a path segment of /api/models/{id_or_slug}; all digits would read as a catalog id.
            guard !slug.isEmpty, !slug.contains("/"), !slug.allSatisfy(\.isNumber) else {
                throw reader.error(path + ".slug", "must be non-empty, without '/', and not only digits", v)
            }
            model.slug = slug
        }
        if let v = m["context_length"] { model.contextLength = try reader.int(v, path: path + ".context_length", range: 1...100_000_000) }
        if let v = m["price"] {
            let p = try reader.mapping(v, path: path + ".price", allowed: ConfigSchema.price)
            var price = ModelPrice()
            for (key, node) in p {
                // Points: no negative prices (a call would pay the caller), at most a billion per unit.
                price[key] = try reader.double(node, path: path + ".price." + key, range: 0...1_000_000_000)
            }
            model.price = price
        }
        if let v = m["variations_via"] {
            model.variationsViaEdit = try reader.choice(v, path: path + ".variations_via", from: ["provider", "edit"]) == "edit"
        }
        if let v = m["variation_prompt"] {
            let prompt = try reader.string(v, path: path + ".variation_prompt")
            guard !prompt.isEmpty else { throw reader.error(path + ".variation_prompt", "must not be empty", v) }
            model.variationPrompt = prompt
        }
        if let v = m["speech_via"] {
            model.speechViaRealtime = try reader.choice(v, path: path + ".speech_via", from: ["rest", "realtime"]) == "realtime"
        }
        if let v = m["transcription_via"] {
            model.transcriptionViaRealtime = try reader.choice(v, path: path + ".transcription_via", from: ["rest", "realtime"]) == "realtime"
        }
        if let v = m["chat_model"] {
            let name = try reader.string(v, path: path + ".chat_model")
            guard !name.isEmpty else { throw reader.error(path + ".chat_model", "must not be empty", v) }
            model.chatModel = name
        }
        if let v = m["translation_via"] {
            let via = try reader.mapping(v, path: path + ".translation_via", allowed: ConfigSchema.translationVia)
            guard let transcription = via["transcription_model"], let chat = via["chat_model"] else {
                throw reader.error(path + ".translation_via", "needs transcription_model and chat_model", v)
            }
            model.translationVia = TranslationVia(
                transcriptionModel: try reader.string(transcription, path: path + ".translation_via.transcription_model"),
                chatModel: try reader.string(chat, path: path + ".translation_via.chat_model"))
        }
        return model
    }
}
