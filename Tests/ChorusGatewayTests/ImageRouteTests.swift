import ChorusGateway
import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import Testing

/// A gateway in front of `ImageMockUpstream`, with providers covering each image behaviour.
func imageConfig(upstreamPort port: Int) -> GatewayConfig {
    var config = GatewayConfig()
    let temp = FileManager.default.temporaryDirectory
    config.database = StorageBackend.suite.freshDatabase()
    config.mediaDirectory = temp.appendingPathComponent("chorus-media-\(UUID().uuidString)").path
    config.voicesDirectory = temp.appendingPathComponent("chorus-voices-\(UUID().uuidString)").path
    config.server.keyCacheSeconds = 0
    config.server.publicURL = "http://chorus.test"
    func openai(_ name: String, _ change: (inout ProviderConfig) -> Void = { _ in }) -> ProviderConfig {
        var provider = ProviderConfig(name: name, type: .openai)
        provider.baseURL = "http://127.0.0.1:\(port)/v1"
        provider.connectTimeout = 2
        change(&provider)
        return provider
    }
    var sd = ProviderConfig(name: "sd", type: .sdwebui)
    sd.baseURL = "http://127.0.0.1:\(port)"
    sd.defaults = ["steps": 20]
    config.providers = [
        openai("img"),
        openai("strict") { $0.imageParams = ["n", "size"]; $0.imageFormats = [.png]; $0.imageInput = .png },
        openai("urlprov") { $0.imageParams = ["n", "size"]; $0.allowPrivateURLs = true },
        openai("urlpriv") { $0.imageParams = ["n", "size"] },
        sd,
        ProviderConfig(name: "local", type: .builtin),
    ]
    config.models = [
        ModelConfig(name: "gpt-image", provider: "img", model: "gpt-image-1", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "echo-mask", provider: "img", model: "echo-mask", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "echo-image", provider: "img", model: "echo-image", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "fail-image", provider: "img", model: "fail-model", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "png-only", provider: "strict", model: "echo-image", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "url-image", provider: "urlprov", model: "url-model", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "url-private", provider: "urlpriv", model: "url-model", capabilities: [.images, .imageEdits]),
        ModelConfig(name: "sd-xl", provider: "sd", model: "sdxl-base"),
        ModelConfig(name: "chatty", provider: "img", model: "gpt-4o"),
        {
            var model = ModelConfig(name: "varied", provider: "img", model: "echo-image", capabilities: [.images, .imageEdits])
            model.variationsViaEdit = true
            model.variationPrompt = "Same picture, other details."
            return model
        }(),
    ]
    return config
}

func withImageGateway(
    config configure: @escaping @Sendable (Int) -> GatewayConfig = { imageConfig(upstreamPort: $0) },
    _ body: @Sendable (any TestClientProtocol, Gateway, ImageMockUpstream) async throws -> Void
) async throws {
    let mock = ImageMockUpstream()
    try await mock.application.test(.live) { upstreamClient in
        let config = configure(upstreamClient.port ?? 0)
        let gateway = try await buildGateway(config: config, environment: ["CHORUS_MASTER_KEY": masterKey], logger: Logger(label: "test"))
        try await gateway.application.test(.live) { client in
            try await body(client, gateway, mock)
        }
        try? FileManager.default.removeItem(atPath: config.database)
        try? FileManager.default.removeItem(atPath: config.mediaDirectory)
    }
}

/// Multipart bodies as the SDK sends them.
struct FormBuilder {
    let boundary = "chorus-image-boundary"
    var body = ByteBuffer()

    mutating func field(_ name: String, _ value: String) {
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String, _ data: [UInt8], filename: String = "image.png", type: String = "image/png") {
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n")
        body.writeBytes(data)
        body.writeString("\r\n")
    }

    func finished() -> (HTTPFields, ByteBuffer) {
        var body = body
        body.writeString("--\(boundary)--\r\n")
        return ([.authorization: "Bearer \(masterKey)", .contentType: "multipart/form-data; boundary=\(boundary)"], body)
    }
}

/// Posts a multipart image form to `/v1/images/{route}`: `fields` in order, then one `size`×`size` PNG as `image`.
func postImageForm(_ client: any TestClientProtocol, _ route: String, _ fields: [(String, String)], size: Int = 24) async throws -> TestResponse {
    var form = FormBuilder()
    for (name, value) in fields { form.field(name, value) }
    form.file("image", ImageMockUpstream.png(width: size, height: size))
    let (headers, body) = form.finished()
    return try await client.execute(uri: "/v1/images/\(route)", method: .post, headers: headers, body: body)
}

func jsonObject(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
}

func firstImage(_ buffer: ByteBuffer) -> [UInt8]? {
    guard let data = jsonObject(buffer)["data"] as? [[String: Any]], let b64 = data.first?["b64_json"] as? String else { return nil }
    return Data(base64Encoded: b64).map(Array.init)
}

/// A black/white mask (no alpha): white inside `edit` (x range, all rows), black elsewhere.
func whiteEditsMask(width: Int, height: Int, edit: Range<Int>) -> [UInt8] {
    var pixels: [UInt8] = []
    for _ in 0..<height {
        for x in 0..<width {
            let value: UInt8 = edit.contains(x) ? 255 : 0
            pixels += [value, value, value, 255]
        }
    }
    return (try? ImageWriter.encode(RGBAImage(width: width, height: height, pixels: pixels), as: .png)) ?? []
}

/// An OpenAI alpha mask: alpha 0 inside `edit` (x range), opaque elsewhere.
func alphaMask(width: Int, height: Int, edit: Range<Int>) -> [UInt8] {
    var pixels: [UInt8] = []
    for _ in 0..<height {
        for x in 0..<width { pixels += [0, 0, 0, edit.contains(x) ? 0 : 255] }
    }
    return (try? ImageWriter.encode(RGBAImage(width: width, height: height, pixels: pixels), as: .png)) ?? []
}

/// A PNG whose IHDR claims `width` x `height` (CRC correct), followed by a tiny IDAT: a decompression bomb's header.
func pngDeclaring(width: UInt32, height: UInt32) -> [UInt8] {
    func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func crc(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be(UInt32(data.count)) + typed + be(crc(typed))
    }
    let ihdr = be(width) + be(height) + [8, 6, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        + chunk("IEND", [])
}

@Suite struct ImageRouteTests {
    static func generate(_ client: any TestClientProtocol, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/images/generations", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: json))
    }

    @Test func generationAnswersBase64PNGOfTheRequestedSizeAndLogsImages() async throws {
        try await withImageGateway { client, gateway, mock in
            let response = try await Self.generate(client, #"{"model":"gpt-image","prompt":"a red square","size":"96x48","n":2,"response_format":"b64_json","quality":"high"}"#)
            #expect(response.status == .ok)
            let json = jsonObject(response.body)
            let data = json["data"] as? [[String: Any]] ?? []
            #expect(data.count == 2)
            let image = try #require(firstImage(response.body))
            let info = try ImageReader.info(image)
            #expect(info.format == .png && info.width == 96 && info.height == 48)
            #expect(data.first?["revised_prompt"] as? String == "a revised prompt")
            #expect((json["usage"] as? [String: Any])?["total_tokens"] as? Int == 46)
            let forwarded = try #require(mock.lastReceived?.json)
            #expect(forwarded["model"] as? String == "gpt-image-1")
            #expect(forwarded["response_format"] as? String == "b64_json")
            #expect(forwarded["quality"] as? String == "high")
            #expect(forwarded["n"] as? Int == 2)
            let row = try #require(try await logRows(gateway).first)
            #expect(row.route == "/images/generations" && row.status == 200)
            #expect(row.images == 2 && row.imageSize == "96x48")
            #expect(row.promptTokens == 12 && row.completionTokens == 34)
        }
    }

    @Test func urlAnswerServesTheStoredPNGWithoutAKey() async throws {
        try await withImageGateway { client, _, _ in
            let response = try await Self.generate(client, #"{"model":"gpt-image","prompt":"p","size":"40x30","response_format":"url"}"#)
            #expect(response.status == .ok)
            let data = jsonObject(response.body)["data"] as? [[String: Any]] ?? []
            let url = try #require(data.first?["url"] as? String)
            #expect(url.hasPrefix("http://chorus.test/v1/media/img_"))
            let path = String(url.dropFirst("http://chorus.test".count))
            let image = try await client.execute(uri: path, method: .get)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            let info = try ImageReader.info(Array(image.body.readableBytesView))
            #expect(info.width == 40 && info.height == 30)
            // Unguessable ids: a malformed or unknown id is 404, never a file lookup.
            #expect(try await client.execute(uri: "/v1/media/..%2F..%2Fetc%2Fpasswd", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/media/img_" + String(repeating: "0", count: 32), method: .get).status == .notFound)
        }
    }

    @Test func theAdminLogRowOfAStoringRequestLinksToItsImages() async throws {
        try await withImageGateway { client, gateway, _ in
            let response = try await Self.generate(client, #"{"model":"gpt-image","prompt":"p","size":"40x30","response_format":"url"}"#)
            let url = try #require((jsonObject(response.body)["data"] as? [[String: Any]])?.first?["url"] as? String)
            let requestID = try #require(response.headers[HTTPField.Name("x-request-id")!])
            _ = try await logRows(gateway)
            let logs = try await client.execute(uri: "/admin/logs?request_id=\(requestID)", method: .get, headers: bearer(masterKey))
            let rows = jsonObject(logs.body)["data"] as? [[String: Any]] ?? []
            #expect(rows.count == 1)
            let media = try #require(rows.first?["media"] as? [[String: Any]])
            #expect(media.count == 1 && media.first?["url"] as? String == url && media.first?["content_type"] as? String == "image/png")
            // A row whose request stored nothing has no media entry.
            _ = try await Self.generate(client, #"{"model":"gpt-image","prompt":"p","size":"8x8","response_format":"b64_json"}"#)
            _ = try await logRows(gateway, atLeast: 2)
            let all = jsonObject(try await client.execute(uri: "/admin/logs", method: .get, headers: bearer(masterKey)).body)["data"] as? [[String: Any]] ?? []
            #expect(all.filter { $0["media"] != nil }.count == 1)
        }
    }

    /// Only "gone after the TTL" is checked here, so a slow machine cannot make it flaky (a first fetch racing a
    /// 2 s TTL failed under the sanitizers); serving before expiry is the test above.
    @Test func storedImageURLIsGoneAfterItsExpiry() async throws {
        try await withImageGateway(config: { port in
            var config = imageConfig(upstreamPort: port)
            config.server.mediaTTLSeconds = 1
            return config
        }) { client, _, _ in
            let response = try await Self.generate(client, #"{"model":"gpt-image","prompt":"p","size":"8x8","response_format":"url"}"#)
            let data = jsonObject(response.body)["data"] as? [[String: Any]] ?? []
            let url = try #require(data.first?["url"] as? String)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await client.execute(uri: String(url.dropFirst("http://chorus.test".count)), method: .get).status == .notFound)
        }
    }

    @Test func providerURLIsFetchedAndInlinedForB64JSONOnlyWhenPrivateAddressesAreAllowed() async throws {
        try await withImageGateway { client, _, mock in
            let allowed = try await Self.generate(client, #"{"model":"url-image","prompt":"p","size":"32x32","response_format":"b64_json"}"#)
            #expect(allowed.status == .ok)
            let image = try #require(firstImage(allowed.body))
            #expect(try ImageReader.info(image).width == 32)
            // The provider does not accept response_format, so it was not sent.
            #expect(mock.lastReceived?.json?["response_format"] == nil)

            let refused = try await Self.generate(client, #"{"model":"url-private","prompt":"p","size":"32x32","response_format":"b64_json"}"#)
            #expect(refused.status == .badGateway)
            #expect(try errorBody(refused).message.contains("private"))

            // Asked for url, the provider's URL is passed on as it is.
            let passed = try await Self.generate(client, #"{"model":"url-private","prompt":"p","size":"32x32","response_format":"url"}"#)
            let data = jsonObject(passed.body)["data"] as? [[String: Any]] ?? []
            #expect((data.first?["url"] as? String)?.hasSuffix("/files/32.png") == true)
        }
    }

    @Test func outputFormatTheProviderCannotProduceIsConvertedAndUnacceptedFieldsAreNotSent() async throws {
        try await withImageGateway { client, gateway, mock in
            let response = try await Self.generate(client, #"{"model":"png-only","prompt":"p","size":"64x64","output_format":"jpeg","output_compression":80,"quality":"high","style":"vivid","response_format":"b64_json"}"#)
            #expect(response.status == .ok)
            let image = try #require(firstImage(response.body))
            #expect(ImageFormat.detect(image) == .jpeg)
            #expect(jsonObject(response.body)["output_format"] as? String == "jpeg")
            let forwarded = try #require(mock.lastReceived?.json)
            #expect(Set(forwarded.keys) == ["model", "prompt", "size"])
            let row = try #require(try await logRows(gateway).first)
            #expect(row.images == 1)
        }
    }

    @Test func whiteEditsMaskArrivesAtAnAlphaProviderAsAlphaZeroExactlyWhereWhite() async throws {
        try await withImageGateway { client, _, mock in
            var form = FormBuilder()
            form.field("model", "echo-mask")
            form.field("prompt", "replace the left side")
            form.field("response_format", "b64_json")
            form.file("image", ImageMockUpstream.png(width: 16, height: 8))
            form.file("mask", whiteEditsMask(width: 16, height: 8, edit: 0..<5), filename: "mask.png")
            let (headers, body) = form.finished()
            let response = try await client.execute(uri: "/v1/images/edits", method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            let forwardedMask = try #require(mock.lastReceived?.files("mask").first)
            let decoded = try ImageReader.decode(forwardedMask.data)
            for y in 0..<8 {
                for x in 0..<16 {
                    let alpha = decoded.pixels[(y * 16 + x) * 4 + 3]
                    #expect(alpha == (x < 5 ? 0 : 255), "pixel \(x),\(y)")
                }
            }
            #expect(mock.lastReceived?.field("prompt") == "replace the left side")
            #expect(mock.lastReceived?.files("image").count == 1)
        }
    }

    @Test func alphaMaskArrivesAtSDWebUIAsWhiteEditsWithInitImages() async throws {
        try await withImageGateway { client, gateway, mock in
            var form = FormBuilder()
            form.field("model", "sd-xl")
            form.field("prompt", "a cat")
            form.field("response_format", "b64_json")
            form.file("image", ImageMockUpstream.png(width: 12, height: 10))
            form.file("mask", alphaMask(width: 12, height: 10, edit: 7..<12), filename: "mask.png")
            let (headers, body) = form.finished()
            let response = try await client.execute(uri: "/v1/images/edits", method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            let received = try #require(mock.lastReceived)
            #expect(received.path == "/sdapi/v1/img2img")
            let json = try #require(received.json)
            #expect((json["init_images"] as? [String])?.count == 1)
            #expect(json["inpainting_fill"] as? Int == 1)
            #expect(json["width"] as? Int == 12 && json["height"] as? Int == 10)
            #expect(json["steps"] as? Int == 20)
            #expect((json["override_settings"] as? [String: Any])?["sd_model_checkpoint"] as? String == "sdxl-base")
            let mask = try ImageReader.decode(Array(try #require(Data(base64Encoded: json["mask"] as? String ?? ""))))
            for x in 0..<12 {
                #expect(mask.pixels[x * 4] == (x >= 7 ? 255 : 0), "column \(x)")
            }
            // The mock appends an extra image past batch_size, as A1111 does; only n come back.
            #expect((jsonObject(response.body)["data"] as? [Any])?.count == 1)
            #expect(try await logRows(gateway).first?.provider == "sd")
        }
    }

    @Test func sdWebUIGenerationMapsSizeAndNToTxt2Img() async throws {
        try await withImageGateway { client, _, mock in
            let response = try await Self.generate(client, #"{"model":"sd-xl","prompt":"a lighthouse","size":"64x32","n":2,"response_format":"b64_json"}"#)
            #expect(response.status == .ok)
            let json = try #require(mock.lastReceived?.json)
            #expect(mock.lastReceived?.path == "/sdapi/v1/txt2img")
            #expect(json["batch_size"] as? Int == 2 && json["width"] as? Int == 64 && json["height"] as? Int == 32)
            #expect(json["prompt"] as? String == "a lighthouse")
            #expect((jsonObject(response.body)["data"] as? [Any])?.count == 2)
        }
    }

    @Test func severalImagesGoUpstreamAsImageArrayAndJPEGIsConvertedForAPNGOnlyProvider() async throws {
        try await withImageGateway { client, _, mock in
            let jpeg = try ImageWriter.encode(RGBAImage(width: 20, height: 20, fill: (10, 200, 10, 255)), as: .jpeg)
            var form = FormBuilder()
            form.field("model", "gpt-image")
            form.field("prompt", "combine")
            form.file("image[]", ImageMockUpstream.png(width: 20, height: 20))
            form.file("image[]", jpeg, filename: "photo.jpg", type: "image/jpeg")
            let (headers, body) = form.finished()
            let response = try await client.execute(uri: "/v1/images/edits", method: .post, headers: headers, body: body)
            #expect(response.status == .ok)
            #expect(mock.lastReceived?.files("image[]").count == 2)
            #expect(mock.lastReceived?.files("image[]").last?.contentType == "image/jpeg")

            var strict = FormBuilder()
            strict.field("model", "png-only")
            strict.field("prompt", "brighten")
            strict.file("image", jpeg, filename: "photo.jpg", type: "image/jpeg")
            let (strictHeaders, strictBody) = strict.finished()
            let converted = try await client.execute(uri: "/v1/images/edits", method: .post, headers: strictHeaders, body: strictBody)
            #expect(converted.status == .ok)
            let forwarded = try #require(mock.lastReceived?.files("image").first)
            #expect(ImageFormat.detect(forwarded.data) == .png)
            #expect(forwarded.filename == "photo.png")
        }
    }

    @Test func jsonEditTakesDataURLsAndRefusesPrivateHTTPURLs() async throws {
        try await withImageGateway { client, _, mock in
            let image = "data:image/png;base64," + Data(ImageMockUpstream.png(width: 8, height: 8)).base64EncodedString()
            let mask = "data:image/png;base64," + Data(whiteEditsMask(width: 8, height: 8, edit: 0..<4)).base64EncodedString()
            let ok = try await client.execute(uri: "/v1/images/edits", method: .post, headers: bearer(masterKey), body: ByteBuffer(string:
                #"{"model":"echo-mask","prompt":"p","images":[{"image_url":"\#(image)"}],"mask":{"image_url":"\#(mask)"},"response_format":"b64_json"}"#))
            #expect(ok.status == .ok)
            #expect(mock.lastReceived?.files("mask").count == 1)

            let before = mock.received.count
            let privateURL = try await client.execute(uri: "/v1/images/edits", method: .post, headers: bearer(masterKey), body: ByteBuffer(string:
                #"{"model":"gpt-image","prompt":"p","images":[{"image_url":"http://127.0.0.1:1/secret.png"}]}"#))
            #expect(privateURL.status == .badRequest)
            #expect(try errorBody(privateURL).param == "images[0]")
            #expect(mock.received.count == before)

            let fileID = try await client.execute(uri: "/v1/images/edits", method: .post, headers: bearer(masterKey), body: ByteBuffer(string:
                #"{"model":"gpt-image","prompt":"p","images":[{"file_id":"file-123"}]}"#))
            #expect(fileID.status == .badRequest)
            #expect(try errorBody(fileID).param == "images[0]")
        }
    }

    @Test func hostileImagesAndMasksAreRefusedNamingTheFieldAndTheGatewayKeepsServing() async throws {
        try await withImageGateway { client, gateway, mock in
            let image = ImageMockUpstream.png(width: 16, height: 16)
            let jpegMask = try ImageWriter.encode(RGBAImage(width: 16, height: 16, fill: (255, 255, 255, 255)), as: .jpeg)
            let cases: [(image: [UInt8], mask: [UInt8]?, param: String)] = [
                (image, whiteEditsMask(width: 8, height: 16, edit: 0..<4), "mask"),
                (image, jpegMask, "mask"),
                (Array(image.prefix(image.count - 20)), nil, "image"),
                (pngDeclaring(width: 100_000, height: 100_000), nil, "image"),
                (image, pngDeclaring(width: 100_000, height: 100_000), "mask"),
                (Array("just some text".utf8), nil, "image"),
                (image, Array(whiteEditsMask(width: 16, height: 16, edit: 0..<4).prefix(60)), "mask"),
            ]
            for (index, item) in cases.enumerated() {
                var form = FormBuilder()
                form.field("model", "gpt-image")
                form.field("prompt", "p")
                form.file("image", item.image)
                if let mask = item.mask { form.file("mask", mask, filename: "mask.png") }
                let (headers, body) = form.finished()
                let response = try await client.execute(uri: "/v1/images/edits", method: .post, headers: headers, body: body)
                let error = try errorBody(response)
                #expect(response.status == .badRequest, "case \(index)")
                #expect(error.param == item.param, "case \(index): \(error.message)")
            }
            #expect(mock.received.isEmpty)
            let rows = try await logRows(gateway, atLeast: cases.count)
            #expect(rows.filter { $0.status == 400 && $0.route == "/images/edits" }.count == cases.count)
            let after = try await Self.generate(client, #"{"model":"gpt-image","prompt":"still here","response_format":"b64_json"}"#)
            #expect(after.status == .ok)
        }
    }

    @Test func badParametersAreOpenAIShapedErrors() async throws {
        try await withImageGateway { client, _, _ in
            let cases: [(String, String)] = [
                (#"{"model":"gpt-image"}"#, "prompt"),
                (#"{"model":"gpt-image","prompt":"p","n":0}"#, "n"),
                (#"{"model":"gpt-image","prompt":"p","size":"big"}"#, "size"),
                (#"{"model":"gpt-image","prompt":"p","response_format":"png"}"#, "response_format"),
                (#"{"model":"gpt-image","prompt":"p","output_format":"gif"}"#, "output_format"),
                (#"{"model":"gpt-image","prompt":["p"]}"#, "prompt"),
            ]
            for (body, param) in cases {
                let response = try await Self.generate(client, body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response).param == param, "\(body)")
            }
            let unknown = try await Self.generate(client, #"{"model":"nope","prompt":"p"}"#)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func providerErrorsPassThroughWithTheirStatusAndBody() async throws {
        try await withImageGateway { client, gateway, _ in
            let response = try await Self.generate(client, #"{"model":"fail-image","prompt":"p"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).code == "content_policy_violation")
            let row = try #require(try await logRows(gateway).first)
            #expect(row.status == 400 && row.error?.contains("rejected") == true)
        }
    }

    @Test func streamingIsPassedThroughFromStreamingProvidersAndSynthesisedForOthers() async throws {
        try await withImageGateway { client, gateway, mock in
            // A real HTTP client, as in the chat streaming tests: under the passthrough's client-close watcher the
            // in-process test client saw its channel closed.
            let http = try UpstreamClient()
            let passed = try await http.execute(UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(try #require(client.port))/v1/images/generations",
                headers: [("Authorization", "Bearer \(masterKey)"), ("Content-Type", "application/json")],
                body: .bytes(ByteBuffer(string: #"{"model":"gpt-image","prompt":"p","stream":true,"partial_images":1}"#))))
            #expect(passed.status == 200)
            let text = String(buffer: try await passed.body.collect(upTo: 1 << 20))
            await http.shutdown()
            #expect(text.contains("image_generation.partial_image") && text.contains("image_generation.completed"))
            #expect(mock.lastReceived?.json?["partial_images"] as? Int == 1)
            // The row counts the completed image, not the partial one.
            let streamedRow = try #require(try await logRows(gateway).first { $0.route == "/images/generations" })
            #expect(streamedRow.images == 1)

            let synthesised = try await Self.generate(client, #"{"model":"sd-xl","prompt":"p","size":"16x16","stream":true}"#)
            #expect(synthesised.headers[.contentType] == "text/event-stream")
            let events = String(buffer: synthesised.body).split(separator: "\n").filter { $0.hasPrefix("data: ") }
            #expect(events.count == 1)
            let event = (try? JSONSerialization.jsonObject(with: Data(events[0].dropFirst(6).utf8))) as? [String: Any] ?? [:]
            #expect(event["type"] as? String == "image_generation.completed")
            let image = try #require(Data(base64Encoded: event["b64_json"] as? String ?? ""))
            #expect(try ImageReader.info(Array(image)).width == 16)
        }
    }

    @Test func variationsViaEditSendTheImageAsAnEditWithTheConfiguredPrompt() async throws {
        try await withImageGateway { client, gateway, mock in
            let variation = try await postImageForm(client, "variations", [("model", "varied"), ("response_format", "b64_json")])
            #expect(variation.status == .ok, "\(String(buffer: variation.body))")
            #expect(mock.lastReceived?.path == "/v1/images/edits")
            #expect(mock.lastReceived?.field("prompt") == "Same picture, other details.")
            #expect(mock.lastReceived?.files("image").count == 1 || mock.lastReceived?.files("image[]").count == 1)
            #expect(!mock.received.contains { $0.path == "/v1/images/variations" })
            #expect(try await logRows(gateway).first?.route == "/images/variations")
        }
    }

    @Test func variationsAndTheLoLLMsEditForm() async throws {
        try await withImageGateway { client, gateway, mock in
            let variation = try await postImageForm(client, "variations", [("model", "echo-image"), ("n", "1"), ("response_format", "b64_json")])
            #expect(variation.status == .ok)
            #expect(mock.lastReceived?.path == "/v1/images/variations")
            #expect(mock.lastReceived?.field("prompt") == nil)

            let image = Data(ImageMockUpstream.png(width: 10, height: 10)).base64EncodedString()
            let mask = Data(whiteEditsMask(width: 10, height: 10, edit: 0..<3)).base64EncodedString()
            let lollms = try await client.execute(uri: "/lollms/v1/images/edit", method: .post, headers: bearer(masterKey),
                                                  body: ByteBuffer(string: #"{"model":"echo-mask","prompt":"p","image":"\#(image)","mask":"\#(mask)"}"#))
            #expect(lollms.status == .ok)
            let data = jsonObject(lollms.body)["data"] as? [[String: Any]] ?? []
            #expect(data.count == 1 && data.first?["b64_json"] != nil && data.first?["url"] == nil)
            #expect(try await logRows(gateway, atLeast: 2).first?.route == "/lollms/images/edit")
        }
    }

    @Test func chatWithImageModalityOnAnImageModelAnswersWithMessageImages() async throws {
        try await withImageGateway { client, gateway, mock in
            let request = #"{"model":"gpt-image","modalities":["image","text"],"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a blue whale"}]}],"image_config":{"aspect_ratio":"16:9"}}"#
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey), body: ByteBuffer(string: request))
            #expect(response.status == .ok)
            let choices = jsonObject(response.body)["choices"] as? [[String: Any]] ?? []
            let message = choices.first?["message"] as? [String: Any] ?? [:]
            let images = message["images"] as? [[String: Any]] ?? []
            let url = (images.first?["image_url"] as? [String: Any])?["url"] as? String ?? ""
            #expect(url.hasPrefix("data:image/png;base64,"))
            #expect(mock.lastReceived?.json?["prompt"] as? String == "a blue whale")
            #expect(mock.lastReceived?.json?["size"] as? String == "1536x1024")
            #expect(try await logRows(gateway).first?.images == 1)

            let streamed = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                    body: ByteBuffer(string: #"{"model":"gpt-image","stream":true,"modalities":["image"],"messages":[{"role":"user","content":"a fox"}]}"#))
            let lines = String(buffer: streamed.body).split(separator: "\n").filter { $0.hasPrefix("data: ") }
            #expect(lines.count == 2 && lines.last == "data: [DONE]")
            #expect(lines.first?.contains("\"images\"") == true)

            // A chat model ignores the field: the request goes to upstream chat as it is.
            let chat = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bearer(masterKey),
                                                body: ByteBuffer(string: #"{"model":"chatty","modalities":["image"],"messages":[{"role":"user","content":"hi"}]}"#))
            #expect(chat.status == .ok)
            #expect(String(buffer: chat.body).contains("Hello there."))
        }
    }
}

@Suite struct MediaStoreTests {
    /// Files under a folder, or rows of the database's `blobs` table: the store behaves the same on both.
    enum Blobs: String, CaseIterable, Sendable { case files, database }

    @Test(arguments: StorageBackend.available, Blobs.allCases)
    func sameImageSharesOneBlobAndSweepRemovesItOnlyWhenEveryRowExpired(backend: StorageBackend, kind: Blobs) async throws {
        try await backend.withStore { store, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chorus-media-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let blobs = try openBlobStore(.media, inDatabase: kind == .database, directory: directory, storage: store)
            let media = MediaStore(store: store, blobs: blobs, ttlSeconds: 10)
            let png = ImageMockUpstream.png(width: 4, height: 4)
            let now = Date()
            let first = try await media.save(png, format: .png, ownerKeyID: nil, now: now)
            let second = try await media.save(png, format: .png, ownerKeyID: nil, now: now.addingTimeInterval(5))
            #expect(first.id != second.id && first.fileName == second.fileName)
            #expect(MediaStore.isValidID(first.id) && !MediaStore.isValidID("img_../../x"))
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            #expect(files.count == (kind == .files ? 1 : 0))
            #expect(try await store.hasBlob(bucket: .media, name: first.fileName) == (kind == .database))
            #expect(try await media.lookup(first.id, now: now)?.bytes == png)
            #expect(try await media.sweep(now: now.addingTimeInterval(11)) == 0)
            #expect(try await media.lookup(first.id, now: now.addingTimeInterval(11)) == nil)
            #expect(try await media.lookup(second.id, now: now.addingTimeInterval(11))?.bytes == png)
            #expect(try await media.sweep(now: now.addingTimeInterval(16)) == 1)
            #expect(try await blobs.contains(first.fileName) == false)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).isEmpty)
        }
    }
}
