import ChorusMedia
import ChorusWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /images/generations`, `/images/edits` (multipart or JSON), `/images/variations`, the LoLLMs
/// `POST /lollms/v1/images/edit`, and `GET /media/{id}` for images Chorus stored for `url` answers.
struct ImageRoutes: Sendable {
    let services: GatewayServices
    let pipeline: ImagePipeline

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("images/generations") { request, context in try await generations(request, context: context) }
        group.post("images/edits") { request, context in try await edits(request, context: context) }
        group.post("images/variations") { request, context in try await variations(request, context: context) }
    }

    /// Stored images need no key (like OpenAI's image URLs): registered on a group without authentication.
    func registerMedia(on group: RouterGroup<GatewayRequestContext>) {
        group.get("media/{id}") { _, context in try await media(context: context, id: context.parameters.get("id") ?? "") }
    }

    func registerLoLLMs(on group: RouterGroup<GatewayRequestContext>) {
        group.post("images/edit") { request, context in try await lollmsEdit(request, context: context) }
    }

    // MARK: routes

    func generations(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (caller, trace) = (try context.requireCaller(), try context.requireTrace())
        var request = request
        let (job, model, _) = try await jsonJob(&request, kind: .generation, caller: caller, trace: trace)
        return try await respond(job, model: model, caller: caller, connection: context.connection, trace: trace)
    }

    func edits(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (caller, trace) = (try context.requireCaller(), try context.requireTrace())
        let (job, model) = MultipartForm.boundary(of: request.headers[.contentType]) == nil
            ? try await jsonEdit(request, caller: caller, trace: trace)
            : try await multipartJob(request, kind: .edit, caller: caller, trace: trace)
        return try await respond(job, model: model, caller: caller, connection: context.connection, trace: trace)
    }

    func variations(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (caller, trace) = (try context.requireCaller(), try context.requireTrace())
        var (job, model) = try await multipartJob(request, kind: .variation, caller: caller, trace: trace)
        // The provider has no variations (dall-e-2 was the only model that ever took them): an edit of the image.
        if model.config.variationsViaEdit {
            job.kind = .edit
            job.prompt = model.config.variationPrompt
        }
        return try await respond(job, model: model, caller: caller, connection: context.connection, trace: trace)
    }

    /// LoLLMs: `{prompt, image, mask, model}` with base64 or data URLs, answered as `{data: [{b64_json}]}`.
    func lollmsEdit(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (caller, trace) = (try context.requireCaller(), try context.requireTrace())
        var request = request
        var (job, model, json) = try await jsonJob(&request, kind: .edit, caller: caller, trace: trace)
        let allowPrivate = model.provider.config.allowPrivateURLs
        let image = try await pipeline.inputs.load(try json.requiredString("image"), param: "image", allowPrivate: allowPrivate, allowBareBase64: true)
        job.images = [try await pipeline.inputs.check(image, filename: nil, param: "image")]
        if let mask = try json.optionalString("mask"), !mask.isEmpty {
            let bytes = try await pipeline.inputs.load(mask, param: "mask", allowPrivate: allowPrivate, allowBareBase64: true)
            job.mask = try await pipeline.inputs.checkMask(bytes, filename: nil, image: job.images[0])
        }
        job.responseFormat = .b64JSON
        job.stream = false
        return try await respond(job, model: model, caller: caller, connection: context.connection, trace: trace, lollms: true)
    }

    func media(context: GatewayRequestContext, id: String) async throws -> Response {
        let trace = try context.requireTrace()
        let found: (record: MediaRecord, bytes: [UInt8])?
        do { found = try await pipeline.media.lookup(id) } catch { throw GatewayError.internalError("media lookup failed: \(error)") }
        guard let (record, bytes) = found else {
            throw GatewayError.notFound("No media with id '\(GatewayError.echo(id))' (stored images expire).")
        }
        let remaining = max(0, Int(record.expiresAt - Date().timeIntervalSince1970))
        var headers: HTTPFields = [.contentType: record.contentType, .cacheControl: "private, max-age=\(remaining)"]
        if let name = HTTPField.Name("x-content-type-options") { headers[name] = "nosniff" }
        trace.update { $0.bytesOut = bytes.count }
        trace.finish(status: 200)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: request forms

    /// A JSON body read into a job (common fields checked, prompt required) and its model resolved.
    private func jsonJob(_ request: inout Request, kind: ImageJob.Kind, caller: Caller,
                         trace: RequestTrace) async throws(GatewayError) -> (ImageJob, ResolvedModel, JSONValue) {
        let json = try services.parseJSONObject(try await services.collectBody(&request, limit: services.maxBodyBytes, trace: trace))
        var job = ImageJob(kind: kind, model: try json.requiredString("model"))
        try job.readCommon(json: json)
        try requirePrompt(job)
        return (job, try resolve(job, caller: caller, trace: trace), json)
    }

    private func requirePrompt(_ job: ImageJob) throws(GatewayError) {
        guard let prompt = job.prompt, !prompt.isEmpty else { throw .missingParameter("prompt") }
    }

    func resolve(_ job: ImageJob, caller: Caller, trace: RequestTrace) throws(GatewayError) -> ResolvedModel {
        trace.update {
            $0.model = job.model
            $0.stream = job.stream
            $0.promptSummary = job.prompt.map(UsageRecord.summarize)
        }
        let model = try services.catalog.resolve(job.model, for: caller, capability: job.kind.capability, trace: trace)
        trace.update { $0.provider = model.providerName }
        // Before any input is fetched or decoded, and before a provider is asked.
        try model.config.imageCaps?.check(job, model: model.name)
        return model
    }

    /// Multipart edits (`image` or `image[]`, up to 16, optional `mask`) and variations (one `image`).
    private func multipartJob(_ request: Request, kind: ImageJob.Kind, caller: Caller,
                              trace: RequestTrace) async throws(GatewayError) -> (ImageJob, ResolvedModel) {
        let form = try await MultipartForm.read(request, limit: services.maxUploadBytes, trace: trace)
        guard let modelName = form.field("model"), !modelName.isEmpty else { throw .missingParameter("model") }
        var job = ImageJob(kind: kind, model: modelName)
        try job.readCommon { (name: String) throws(GatewayError) -> String? in form.field(name) }
        if kind == .edit { try requirePrompt(job) }
        let files = form.files(named: ["image", "image[]"])
        guard !files.isEmpty else { throw .missingParameter("image") }
        let limit = kind == .edit ? ImageJob.maxImages : 1
        guard files.count <= limit else {
            throw .invalidParameter("image", kind == .edit ? "At most \(limit) images can be edited at once." : "Variations take one image.")
        }
        let model = try resolve(job, caller: caller, trace: trace)
        for (index, file) in files.enumerated() {
            let param = files.count == 1 ? "image" : "image[\(index)]"
            job.images.append(try await pipeline.inputs.check(Array(file.data.readableBytesView), filename: file.filename, param: param))
        }
        if let mask = form.file("mask") {
            guard kind == .edit else { throw .invalidParameter("mask", "Variations take no mask.") }
            job.mask = try await pipeline.inputs.checkMask(Array(mask.data.readableBytesView), filename: mask.filename, image: job.images[0])
        }
        return (job, model)
    }

    /// The JSON edit form: `images: [{image_url}]` (data or http(s) URLs) and `mask: {image_url}`.
    private func jsonEdit(_ request: Request, caller: Caller, trace: RequestTrace) async throws(GatewayError) -> (ImageJob, ResolvedModel) {
        var request = request
        let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
        guard contentType.hasPrefix("application/json") else {
            throw .unsupportedMediaType("Image edits take multipart/form-data or application/json.")
        }
        var (job, model, json) = try await jsonJob(&request, kind: .edit, caller: caller, trace: trace)
        guard let list = json["images"]?.arrayValue ?? json["image"].map({ [$0] }), !list.isEmpty else {
            throw .missingParameter("images")
        }
        guard list.count <= ImageJob.maxImages else {
            throw .invalidParameter("images", "At most \(ImageJob.maxImages) images can be edited at once.")
        }
        for (index, entry) in list.enumerated() {
            let param = "images[\(index)]"
            let url = try Self.imageURL(entry, param: param)
            let bytes = try await pipeline.inputs.load(url, param: param, allowPrivate: model.provider.config.allowPrivateURLs, allowBareBase64: false)
            job.images.append(try await pipeline.inputs.check(bytes, filename: nil, param: param))
        }
        if let mask = json["mask"], !mask.isNull {
            let bytes = try await pipeline.inputs.load(try Self.imageURL(mask, param: "mask"), param: "mask",
                                                       allowPrivate: model.provider.config.allowPrivateURLs, allowBareBase64: false)
            job.mask = try await pipeline.inputs.checkMask(bytes, filename: nil, image: job.images[0])
        }
        return (job, model)
    }

    /// `{image_url: "…"}` or a bare URL string; `file_id` references are not something Chorus stores.
    static func imageURL(_ entry: JSONValue, param: String) throws(GatewayError) -> String {
        if let text = entry.stringValue { return text }
        if let url = entry["image_url"]?.stringValue ?? entry["image_url"]?["url"]?.stringValue { return url }
        if entry["file_id"] != nil {
            throw .invalidParameter(param, "'\(param)' refers to a file_id; Chorus takes image_url (a data URL or an http(s) URL).")
        }
        throw .invalidParameter(param, "'\(param)' must be an object with an 'image_url'.")
    }

    // MARK: answer

    func respond(_ job: ImageJob, model: ResolvedModel, caller: Caller, connection: ClientConnection?, trace: RequestTrace,
                 lollms: Bool = false) async throws(GatewayError) -> Response {
        let (answer, model) = try await pipeline.produce(job, model: model, caller: caller, trace: trace)
        switch answer {
        case .upstreamAnswer(let upstream):
            return try await UpstreamPassthrough(trace: trace, countsImages: true)
                .response(for: upstream, connection: connection, watchClientClose: job.stream)
        case .images(let produced):
            trace.markFirstByte()
            let finished = try await pipeline.finish(produced, job: job, model: model, caller: caller, responseFormat: job.stream ? .b64JSON : job.responseFormat,
                                                  requestID: trace.requestID)
            Self.recordUsage(finished, produced: produced, job: job, trace: trace)
            let response: Response
            if lollms {
                response = Response.json(["data": .array(finished.map { ["b64_json": .string($0.b64 ?? "")] })])
            } else if job.stream {
                response = Self.events(finished, produced: produced, job: job)
            } else {
                response = Response.json(Self.body(finished, produced: produced, job: job))
            }
            trace.update { $0.bytesOut = response.body.contentLength ?? 0 }
            trace.finish(status: 200)
            return response
        }
    }

    static func recordUsage(_ finished: [ImagePipeline.Finished], produced: ProducedImages, job: ImageJob, trace: RequestTrace) {
        trace.update { record in
            record.images = finished.count
            if let first = finished.first, let width = first.width, let height = first.height {
                record.imageSize = "\(width)x\(height)"
            } else {
                record.imageSize = job.size
            }
            if let usage = produced.usage {
                record.promptTokens = usage["input_tokens"]?.intValue ?? usage["prompt_tokens"]?.intValue
                record.completionTokens = usage["output_tokens"]?.intValue ?? usage["completion_tokens"]?.intValue
                record.totalTokens = usage["total_tokens"]?.intValue
            }
        }
    }

    /// OpenAI's image answer: `{created, data: [{url | b64_json, revised_prompt}], output_format, size, …, usage}`.
    static func body(_ finished: [ImagePipeline.Finished], produced: ProducedImages, job: ImageJob) -> JSONValue {
        var json: JSONValue = ["created": .number(Int(Date().timeIntervalSince1970))]
        json.set("data", .array(finished.map { image in
            var entry: JSONValue = [:]
            if let b64 = image.b64 { entry.set("b64_json", .string(b64)) }
            if let url = image.url { entry.set("url", .string(url)) }
            if let revised = image.revisedPrompt { entry.set("revised_prompt", .string(revised)) }
            return entry
        }))
        for (key, value) in produced.echoed { json.set(key, value) }
        if let format = finished.first?.format, produced.echoed.contains(where: { $0.0 == "output_format" }) || job.outputFormat != nil {
            json.set("output_format", .string(format.rawValue))
        }
        if let usage = produced.usage { json.set("usage", usage) }
        return json
    }

    /// SSE for a provider that cannot stream: one `…completed` event per image (OpenAI's event shape).
    static func events(_ finished: [ImagePipeline.Finished], produced: ProducedImages, job: ImageJob) -> Response {
        var buffer = ByteBuffer()
        let type = job.kind.eventPrefix + ".completed"
        for image in finished {
            var event: JSONValue = ["type": .string(type), "b64_json": .string(image.b64 ?? ""),
                                    "created_at": .number(Int(Date().timeIntervalSince1970))]
            if let width = image.width, let height = image.height { event.set("size", .string("\(width)x\(height)")) }
            if let format = image.format { event.set("output_format", .string(format.rawValue)) }
            for (key, value) in produced.echoed where key == "background" || key == "quality" { event.set(key, value) }
            if let usage = produced.usage { event.set("usage", usage) }
            SSE.write(event, name: type, into: &buffer)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: .init(byteBuffer: buffer))
    }
}
