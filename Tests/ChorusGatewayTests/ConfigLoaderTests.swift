import ChorusGateway
import ChorusMedia
import ChorusUpstream
import ChorusWire
import Logging
import Testing

@Suite struct ConfigLoaderTests {
    let loader = ConfigLoader(environment: ["OPENAI_API_KEY": "sk-from-env", "PORT": "9000"])

    @Test func fullConfigParses() async throws {
        let config = try loader.parse("""
            server: {host: 0.0.0.0, port: 8081, max_upload_mb: 10, public_url: https://chorus.example}
            database: /tmp/x.sqlite
            providers:
              openai:
                type: openai
                base_url: https://api.openai.com/v1/
                api_key: ${OPENAI_API_KEY}
                headers: {OpenAI-Organization: org-1}
                timeout: 30
                defaults: {temperature: 0.2, stop: ["\\n"], name: "007"}
                speech_formats: [mp3, wav]
                voice_cloning: audio_sample
                mask_mode: white_edits
              local: {type: builtin}
            models:
              - {name: gpt-4o, provider: openai, model: gpt-4o-2024, defaults: {max_tokens: 100}}
              - {name: fast, provider: openai, model: gpt-4o-2024, capabilities: [chat]}
              - {name: local-tts, provider: local, model: espeak}
            """, file: "chorus.yaml")
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.port == 8081)
        #expect(config.server.maxUploadMB == 10)
        #expect(config.server.publicURL == "https://chorus.example")
        let openai = try #require(config.provider(named: "openai"))
        #expect(openai.baseURL == "https://api.openai.com/v1")
        #expect(openai.apiKey == "sk-from-env")
        #expect(openai.headers.first?.0 == "OpenAI-Organization")
        #expect(openai.timeout == 30)
        #expect(openai.defaults["temperature"] == .number("0.2"))
        #expect(openai.defaults["name"] == .string("007"), "quoted scalars stay strings")
        #expect(openai.speechFormats == [.mp3, .wav])
        #expect(openai.maskMode == .whiteEdits)
        #expect(config.models.count == 3)
        #expect(config.models[0].model == "gpt-4o-2024")
        #expect(config.models[1].capabilities == [.chat])
        let upstream = try UpstreamClient(logger: Logger(label: "test"))
        let catalog = ModelCatalog(config: config, environment: ProviderEnvironment(upstream: upstream, metrics: GatewayMetrics()))
        #expect(catalog.resolve("gpt-4o")?.supports(.speech) == true)
        #expect(catalog.resolve("fast")?.supports(.embeddings) == false)
        #expect(catalog.resolve("local-tts")?.supports(.speech) == true)
        #expect(catalog.resolve("local-tts")?.supports(.chat) == false)
        await upstream.shutdown()
    }

    @Test(arguments: [
        ("providers:\n  openai:\n    type: openai\n    base_url: http://x\n    timout: 3\n", "providers.openai.timout", "unknown key"),
        ("providers:\n  openai:\n    type: openai\n    base_url: http://x\n    api_key: ${MISSING}\n", "providers.openai.api_key", "MISSING is not set"),
        ("providers:\n  openai: {type: magic, base_url: http://x}\n", "providers.openai.type", "not one of"),
        ("providers:\n  openai: {type: openai}\n", "providers.openai.base_url", "missing"),
        ("server: {port: eighty}\n", "server.port", "expected an integer"),
        ("models:\n  - {name: a, provider: ghost}\n", "models[0].provider", "unknown provider"),
        ("server: [1, 2\n", "", "invalid YAML"),
        ("providers:\n  openai: {type: openai, base_url: https://x, ca_file: /no/such/ca.pem}\n", "providers.openai.ca_file", "cannot be read"),
    ])
    func errorsNameFileKeyPathAndProblem(yaml: String, keyPath: String, problem: String) {
        do {
            _ = try loader.parse(yaml, file: "conf/chorus.yaml")
            Issue.record("expected a ConfigError")
        } catch let error as ConfigError {
            #expect(error.file == "conf/chorus.yaml")
            #expect(error.keyPath == keyPath)
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.description.hasPrefix("conf/chorus.yaml: "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func fallbackExpansionAndEmptyFallbackWork() throws {
        let config = try loader.parse("""
            providers:
              a: {type: openai, base_url: "http://localhost:${PORT}/v1", api_key: "${NOPE:-}"}
              b: {type: openai, base_url: "${NOPE:-http://fallback}"}
            """, file: "c.yaml")
        #expect(config.provider(named: "a")?.baseURL == "http://localhost:9000/v1")
        #expect(config.provider(named: "a")?.apiKey == nil)
        #expect(config.provider(named: "b")?.baseURL == "http://fallback")
    }

    @Test func noConfigFileMeansTheEmbeddedDefault() throws {
        let config = try ConfigLoader(environment: [:]).load(path: nil)
        #expect(config.providers.map(\.type) == [.builtin])
        #expect(config.models.contains { $0.name == "local-tts" })
        #expect(config.sourcePath == nil)
    }

    @Test func configPathComesFromTheEnvironment() throws {
        #expect(throws: ConfigError.self) { try ConfigLoader(environment: ["CHORUS_CONFIG": "/nonexistent/chorus.yaml"]).load(path: nil) }
    }
}
