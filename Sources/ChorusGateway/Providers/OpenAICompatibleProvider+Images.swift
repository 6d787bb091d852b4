import ChorusMedia
import ChorusUpstream
import ChorusWire
import NIOCore

/// Image jobs for an OpenAI-compatible provider: generations as JSON, edits and variations as multipart (the
/// form every OpenAI-compatible server accepts, whichever form the caller used). Only the fields in the
/// provider's `image_params` are sent; Chorus asks for `b64_json` so it can convert, store or inline the result.
extension OpenAICompatibleProvider: ImageProvider {
    var wantsPNGInputs: Bool { config.imageInput == .png }
    var maskMode: MaskMode { config.maskMode }
    var maskEditColor: MaskEditColor { config.maskEditColor }
    var allowsPrivateURLs: Bool { config.allowPrivateURLs }

    func produce(_ job: ImageJob, prepared: PreparedImageInputs, model: ModelConfig) async throws(GatewayError) -> ImageAnswer {
        if canStream(job) {
            return .upstreamAnswer(try await transport.execute(imageRequest(job, prepared: prepared, model: model, stream: true)))
        }
        let response = try await transport.execute(imageRequest(job, prepared: prepared, model: model, stream: false))
        guard (200..<300).contains(response.status) else { return .upstreamAnswer(response) }
        return .images(try ProducedImages.parseOpenAI(try await transport.collectJSON(response), provider: config.name))
    }

    func accepts(_ name: String) -> Bool { config.imageParams.contains(name) }

    /// Whether the caller's `output_format` goes to the provider (else Chorus converts what comes back).
    func forwardsOutputFormat(_ job: ImageJob) -> Bool {
        guard let format = job.outputFormat else { return false }
        return accepts("output_format") && config.imageFormats.contains(format)
    }

    func canStream(_ job: ImageJob) -> Bool { job.stream && accepts("stream") }

    /// The request fields besides model, prompt and files, as strings, in OpenAI's names.
    func fields(_ job: ImageJob, stream: Bool) -> [(String, String)] {
        var fields: [(String, String)] = []
        func add(_ name: String, _ value: String?) {
            if let value, accepts(name) { fields.append((name, value)) }
        }
        add("n", job.n.map(String.init))
        add("size", job.size)
        for (name, value) in job.options where !(job.kind == .variation && name != "user") { add(name, value) }
        if forwardsOutputFormat(job) {
            add("output_format", job.outputFormat?.rawValue)
            add("output_compression", job.outputCompression.map(String.init))
        }
        if stream {
            fields.append(("stream", "true"))
            add("partial_images", job.partialImages.map(String.init))
        } else {
            add("response_format", ImageJob.ResponseFormat.b64JSON.rawValue)
        }
        return fields
    }

    func imageRequest(_ job: ImageJob, prepared: PreparedImageInputs, model: ModelConfig, stream: Bool) -> UpstreamRequest {
        let accept = stream ? "text/event-stream" : "application/json"
        let body: UpstreamRequestBody
        let contentType: String
        switch job.kind {
        case .generation:
            var json: JSONValue = ["model": .string(model.model)]
            if let prompt = job.prompt { json.set("prompt", .string(prompt)) }
            for (name, value) in fields(job, stream: stream) {
                json.set(name, Self.typed(name, value))
            }
            json = transport.withDefaults(json, model: model)
            body = .bytes(ByteBuffer(bytes: json.serialized()))
            contentType = "application/json"
        case .edit, .variation:
            var formFields = [("model", model.model)]
            if job.kind == .edit, let prompt = job.prompt { formFields.append(("prompt", prompt)) }
            formFields += fields(job, stream: stream)
            var files: [(String, MultipartForm.File)] = []
            let imageField = job.kind == .edit && prepared.images.count > 1 ? "image[]" : "image"
            for (index, image) in prepared.images.enumerated() {
                let name = Self.filename(image.filename, index: index, format: image.format)
                files.append((imageField, .init(filename: name, contentType: image.format.contentType, data: ByteBuffer(bytes: image.bytes))))
            }
            if let mask = prepared.mask {
                files.append(("mask", .init(filename: "mask.png", contentType: "image/png", data: ByteBuffer(bytes: mask))))
            }
            let (multipartType, parts) = MultipartForm.encodeParts(fields: formFields, files: files)
            (contentType, body) = (multipartType, .buffers(parts))
        }
        return transport.post(job.kind.route, contentType: contentType, accept: accept, body: body, stream: stream)
    }

    /// Numbers stay numbers and flags stay flags in the JSON form.
    static func typed(_ name: String, _ value: String) -> JSONValue {
        switch name {
        case "n", "output_compression", "partial_images": Int(value).map { .number($0) } ?? .string(value)
        case "stream": .bool(value == "true")
        default: .string(value)
        }
    }

    /// The caller's file name with the extension of what is actually sent (it may have been converted).
    static func filename(_ original: String?, index: Int, format: ImageFormat) -> String {
        var stem = original.map { name in
            name.split(separator: "/").last.map(String.init) ?? name
        } ?? "image\(index)"
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
        if stem.isEmpty { stem = "image\(index)" }
        return stem + "." + (format == .jpeg ? "jpg" : format.rawValue)
    }
}
