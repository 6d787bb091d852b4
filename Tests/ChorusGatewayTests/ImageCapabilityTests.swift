import ChorusGateway
import ChorusMedia
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing

/// A model's `image_caps`: a request outside them is a 400 naming the parameter and what the model takes, and the
/// provider never hears of it; a request inside them goes through; a fallback whose caps refuse is skipped.
@Suite struct ImageCapabilityTests {
    /// dall-e-3 as OpenAI documents it: three sizes, png here, no transparency, one image, two qualities.
    static var dalle: ImageCaps {
        var caps = ImageCaps()
        caps.sizes = ["1024x1024", "1792x1024", "1024x1792"]
        caps.formats = [.png]
        caps.transparency = false
        caps.maxN = 1
        caps.qualities = ["standard", "hd"]
        return caps
    }

    /// A model that takes any size within bounds.
    static var ruled: ImageCaps {
        var rule = ImageCaps.SizeRule()
        rule.multipleOf = 16
        rule.minPixels = 655_360
        rule.maxPixels = 8_294_400
        rule.minAspect = ImageCaps.Aspect("1:3")
        rule.maxAspect = ImageCaps.Aspect("3:1")
        var caps = ImageCaps()
        caps.sizeRule = rule
        return caps
    }

    static func config(port: Int, down: Int = 1) -> GatewayConfig {
        var config = imageConfig(upstreamPort: port)
        var dalle = ModelConfig(name: "dalle", provider: "img", model: "dall-e-3", capabilities: [.images, .imageEdits])
        dalle.imageCaps = Self.dalle
        var ruled = ModelConfig(name: "ruled", provider: "img", model: "gpt-image-1", capabilities: [.images, .imageEdits])
        ruled.imageCaps = Self.ruled
        var downProvider = ProviderConfig(name: "down", type: .openai)
        downProvider.baseURL = "http://127.0.0.1:\(down)/v1"
        downProvider.connectTimeout = 2
        downProvider.circuitBreakerFailures = 0
        config.providers.append(downProvider)
        // Unreachable, with a fallback that takes only one image and one that takes anything.
        let flaky = ModelConfig(name: "flaky", provider: "down", model: "gpt-image-1", capabilities: [.images, .imageEdits],
                                fallbacks: ["dalle", "gpt-image"])
        config.models += [dalle, ruled, flaky]
        return config
    }

    func post(_ client: any TestClientProtocol, _ route: String, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/images/" + route, method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
    }

    @Test(arguments: [
        (#""size":"512x512""#, "size", "The model 'dalle' does not offer size '512x512'; its sizes are 1024x1024, 1792x1024, 1024x1792."),
        (#""size":"auto""#, "size", "its sizes are 1024x1024, 1792x1024, 1024x1792."),
        (#""n":2"#, "n", "The model 'dalle' makes at most 1 image per request; 'n' was 2."),
        (#""output_format":"webp""#, "output_format", "The model 'dalle' offers output_format png; not 'webp'."),
        (#""background":"transparent""#, "background", "The model 'dalle' cannot make a transparent background; 'background' may be opaque or auto."),
        (#""quality":"low""#, "quality", "The model 'dalle' takes quality standard, hd; not 'low'."),
    ])
    func generationOutsideTheCapsIs400NamingTheParameter(field: String, param: String, message: String) async throws {
        try await withImageGateway(config: { Self.config(port: $0) }) { client, gateway, mock in
            let response = try await post(client, "generations", #"{"model":"dalle","prompt":"a lighthouse",\#(field)}"#)
            #expect(response.status == .badRequest)
            let error = try errorBody(response)
            #expect(error.type == "invalid_request_error")
            #expect(error.param == param)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(mock.received.isEmpty, "the provider was asked")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 400 && row.model == "dalle")
        }
    }

    @Test func generationInsideTheCapsReachesTheProvider() async throws {
        try await withImageGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let response = try await post(client, "generations",
                                          #"{"model":"dalle","prompt":"a lighthouse","size":"1792x1024","quality":"hd","n":1,"output_format":"png","background":"opaque"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(mock.received.count == 1)
            #expect(mock.lastReceived?.json?["size"] as? String == "1792x1024")
            // Left out, a parameter is the provider's to default.
            let bare = try await post(client, "generations", #"{"model":"dalle","prompt":"a lighthouse"}"#)
            #expect(bare.status == .ok)
            #expect(mock.received.count == 2)
        }
    }

    @Test(arguments: [
        ("1024x1536", true), ("auto", true), ("2048x2048", true),
        ("1000x1000", false), ("512x512", false), ("4096x1024", false), ("4096x4096", false),
    ])
    func sizeRuleAdmitsSizesWithinItsBounds(size: String, admitted: Bool) async throws {
        try await withImageGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let response = try await post(client, "generations", #"{"model":"ruled","prompt":"a lighthouse","size":"\#(size)"}"#)
            if admitted {
                #expect(response.status == .ok, "\(size): \(String(buffer: response.body))")
                #expect(mock.received.count == 1)
            } else {
                #expect(response.status == .badRequest, "\(size)")
                let error = try errorBody(response)
                #expect(error.param == "size")
                #expect(error.message.hasPrefix("The model 'ruled' takes sizes with sides that are multiples of 16, 655360 to 8294400 pixels, aspect ratio 1:3 to 3:1 (or auto); '\(size)'"),
                        "\(error.message)")
                #expect(mock.received.isEmpty)
            }
        }
    }

    @Test func editAndVariationOutsideTheCapsAre400BeforeTheProvider() async throws {
        try await withImageGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let edited = try await postImageForm(client, "edits", [("model", "dalle"), ("prompt", "add a boat"), ("size", "256x256")], size: 64)
            #expect(edited.status == .badRequest)
            #expect(try errorBody(edited).param == "size")

            let varied = try await postImageForm(client, "variations", [("model", "dalle"), ("n", "3")], size: 64)
            #expect(varied.status == .badRequest)
            #expect(try errorBody(varied).param == "n")
            #expect(try errorBody(varied).message.contains("at most 1 image per request"))

            // The JSON edit form is refused before its image URL is fetched.
            let json = try await post(client, "edits", #"{"model":"dalle","prompt":"x","quality":"ultra","images":[{"image_url":"http://127.0.0.1:9/never.png"}]}"#)
            #expect(json.status == .badRequest)
            #expect(try errorBody(json).param == "quality")
            #expect(mock.received.isEmpty)
        }
    }

    @Test func chatAskingForAnImageIsHeldToTheCaps() async throws {
        try await withImageGateway(config: { Self.config(port: $0) }) { client, _, mock in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                body: ByteBuffer(string: #"{"model":"dalle","modalities":["image"],"image_config":{"size":"640x480"},"messages":[{"role":"user","content":"a boat"}]}"#))
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).param == "size")
            #expect(mock.received.isEmpty)
        }
    }

    /// `flaky`'s provider is down; its first fallback (`dalle`, one image at most) cannot take `n: 2`, so the
    /// second (`gpt-image`, no caps) answers.
    @Test func fallbackWhoseCapsRefuseIsSkipped() async throws {
        let down = try LoopbackSocket(listening: false)
        try await withImageGateway(config: { Self.config(port: $0, down: down.port) }) { client, gateway, mock in
            let two = try await post(client, "generations", #"{"model":"flaky","prompt":"a lighthouse","n":2}"#)
            #expect(two.status == .ok, "\(String(buffer: two.body))")
            #expect(mock.lastReceived?.json?["model"] as? String == "gpt-image-1")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.model == "gpt-image")
            #expect(row.tried?.contains("dalle") == false, "\(row.tried ?? "")")

            let one = try await post(client, "generations", #"{"model":"flaky","prompt":"a lighthouse","n":1}"#)
            #expect(one.status == .ok)
            #expect(mock.lastReceived?.json?["model"] as? String == "dall-e-3", "the first fallback takes one image")
        }
    }

    // MARK: config

    static let base = "providers:\n  p: {type: openai, base_url: 'http://x:1'}\nmodels:\n  - {name: m, provider: p, image_caps: "

    @Test func imageCapsLoad() throws {
        let config = try ConfigLoader(environment: [:]).parse(Self.base + """
            {sizes: [1024x1024, AUTO], formats: [png, webp], transparency: false, max_n: 4, qualities: [hd]}}
              - {name: r, provider: p, image_caps: {size_rule: {multiple_of: 64, min_pixels: 100, max_pixels: 1000000, min_aspect: "1:2", max_aspect: "2:1"}}}

            """, file: "c.yaml")
        let caps = try #require(config.models[0].imageCaps)
        #expect(caps.sizes == ["1024x1024", "auto"])
        #expect(caps.formats == [.png, .webp])
        #expect(caps.transparency == false)
        #expect(caps.maxN == 4)
        #expect(caps.qualities == ["hd"])
        let rule = try #require(config.models[1].imageCaps?.sizeRule)
        #expect(rule.multipleOf == 64 && rule.minPixels == 100 && rule.maxPixels == 1_000_000)
        #expect(rule.minAspect?.description == "1:2" && rule.maxAspect?.description == "2:1")
        #expect(config.models[1].imageCaps?.sizes == nil)
    }

    @Test(arguments: [
        ("{sizes: [big]}}\n", "models[0].image_caps.sizes[0]", "expected WIDTHxHEIGHT"),
        ("{sizes: [1024x1024], size_rule: {multiple_of: 8}}}\n", "models[0].image_caps.size_rule", "give sizes or size_rule, not both"),
        ("{size_rule: {min_aspect: 1/3}}}\n", "models[0].image_caps.size_rule.min_aspect", "expected WIDTH:HEIGHT"),
        ("{size_rule: {max_aspect: \"1:0\"}}}\n", "models[0].image_caps.size_rule.max_aspect", "sides 1 to 100000"),
        ("{size_rule: {min_aspect: \"3:1\", max_aspect: \"1:3\"}}}\n", "models[0].image_caps.size_rule.min_aspect", "must not be wider than max_aspect"),
        ("{size_rule: {min_pixels: 10, max_pixels: 5}}}\n", "models[0].image_caps.size_rule.min_pixels", "must not exceed max_pixels"),
        ("{size_rule: {multiple: 8}}}\n", "models[0].image_caps.size_rule.multiple", "unknown key"),
        ("{formats: [gif]}}\n", "models[0].image_caps.formats[0]", "not one of png, jpeg, webp"),
        ("{max_n: 11}}\n", "models[0].image_caps.max_n", "between 1 and 10"),
        ("{transparent: true}}\n", "models[0].image_caps.transparent", "unknown key"),
        ("{qualities: []}}\n", "models[0].image_caps.qualities", "expected a list"),
    ])
    func imageCapsErrorsNameTheKeyPath(tail: String, keyPath: String, problem: String) {
        do {
            _ = try ConfigLoader(environment: [:]).parse(Self.base + tail, file: "conf/chorus.yaml")
            Issue.record("expected a ConfigError for \(tail)")
        } catch let error as ConfigError {
            #expect(error.keyPath == keyPath)
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.line == 4, "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// Each `image_caps` and `size_rule` key changes what is loaded, and the README's reference block shows it.
    @Test func everyImageCapsKeyIsLoadedAndDocumented() throws {
        let samples = [
            "sizes": "sizes: [1024x1024]", "size_rule": "size_rule: {multiple_of: 8}", "formats": "formats: [png]",
            "transparency": "transparency: false", "max_n": "max_n: 1", "qualities": "qualities: [hd]",
        ]
        let ruleSamples = [
            "multiple_of": "multiple_of: 8", "min_pixels": "min_pixels: 10", "max_pixels": "max_pixels: 10",
            "min_aspect": "min_aspect: \"1:3\"", "max_aspect": "max_aspect: \"3:1\"",
        ]
        let loader = ConfigLoader(environment: [:])
        func loaded(_ yaml: String) throws -> String { String(describing: try loader.parse(yaml, file: "t.yaml")) }
        let empty = try loaded(Self.base + "{}}\n")
        for key in ConfigSchema.imageCaps {
            let sample = try #require(samples[key], "no sample for image_caps.\(key)")
            #expect(try loaded(Self.base + "{\(sample)}}\n") != empty, "image_caps.\(key) is accepted but not loaded")
        }
        let emptyRule = try loaded(Self.base + "{size_rule: {}}}\n")
        for key in ConfigSchema.sizeRule {
            let sample = try #require(ruleSamples[key], "no sample for size_rule.\(key)")
            #expect(try loaded(Self.base + "{size_rule: {\(sample)}}}\n") != emptyRule, "size_rule.\(key) is accepted but not loaded")
        }
        let readme = try ConfigSchemaTests.readmeConfigBlock()
        for key in ConfigSchema.imageCaps.union(ConfigSchema.sizeRule) {
            #expect(readme.contains(key + ":"), "README's config block does not show image_caps key \(key)")
        }
    }
}
