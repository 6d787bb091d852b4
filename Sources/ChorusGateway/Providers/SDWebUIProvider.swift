import ChorusMedia
import ChorusUpstream
import ChorusWire
import Foundation
import NIOCore

/// AUTOMATIC1111 Stable Diffusion WebUI (`type: sdwebui`): generations go to `/sdapi/v1/txt2img`, edits and
/// variations to `/sdapi/v1/img2img` with `init_images` and, for edits, a brightness `mask` (white = edit; with
/// `mask_mode: black_edits` the mask is sent black-edits and `inpainting_mask_invert` set). `size` maps to
/// width/height, `n` to `batch_size`; the model's and provider's `defaults` fill in the rest (steps, sampler,
/// denoising_strength, …) under what the request says. The model name selects the checkpoint unless it is
/// `default`.
struct SDWebUIProvider: HTTPProvider, ImageProvider {
    let transport: ProviderTransport

    var images: (any ImageProvider)? { self }
    func defaultCapabilities(upstreamModel: String) -> Set<Capability> { [.images, .imageEdits] }

    var wantsPNGInputs: Bool { false }
    var maskMode: MaskMode { config.maskMode }
    var maskEditColor: MaskEditColor { config.maskEditColor }
    var allowsPrivateURLs: Bool { config.allowPrivateURLs }

    func produce(_ job: ImageJob, prepared: PreparedImageInputs, model: ModelConfig) async throws(GatewayError) -> ImageAnswer {
        let path = job.kind == .generation ? "/sdapi/v1/txt2img" : "/sdapi/v1/img2img"
        let body = ByteBuffer(bytes: body(job, prepared: prepared, model: model).serialized())
        let response = try await transport.execute(transport.jsonRequest(path: path, body: body, stream: false))
        guard (200..<300).contains(response.status) else { return .upstreamAnswer(response) }
        let json = try await transport.collectJSON(response)
        return .images(try Self.parse(json, wanted: job.n ?? 1, provider: config.name))
    }

    func body(_ job: ImageJob, prepared: PreparedImageInputs, model: ModelConfig) -> JSONValue {
        var json: JSONValue = ["prompt": .string(job.prompt ?? "")]
        json.set("batch_size", .number(job.n ?? 1))
        if let (width, height) = job.dimensions ?? prepared.firstSize {
            json.set("width", .number(width))
            json.set("height", .number(height))
        }
        if job.kind != .generation {
            json.set("init_images", .array(prepared.images.map { .string(Data($0.bytes).base64EncodedString()) }))
            json.set("denoising_strength", .number(job.kind == .edit ? 0.75 : 0.5))
        }
        if let mask = prepared.mask {
            json.set("mask", .string(Data(mask).base64EncodedString()))
            // 1 = start from the original pixels under the mask, what an "edit" means.
            json.set("inpainting_fill", .number(1))
            json.set("inpainting_mask_invert", .number(config.maskMode == .blackEdits ? 1 : 0))
        }
        if !model.model.isEmpty, model.model != "default" {
            json.set("override_settings", ["sd_model_checkpoint": .string(model.model)])
        }
        // Request values win over model defaults, which win over provider defaults.
        json = transport.withDefaults(json, model: model)
        return json
    }

    /// `{images: ["<base64 png>", …], parameters, info}`; A1111 may append extra images (e.g. the mask) past
    /// `batch_size`, which are dropped.
    static func parse(_ json: JSONValue, wanted: Int, provider: String) throws(GatewayError) -> ProducedImages {
        guard let images = json["images"]?.arrayValue else {
            throw .upstreamFailed(provider: provider, "the SD WebUI answer has no 'images' list")
        }
        var produced = ProducedImages()
        for entry in images.prefix(wanted) {
            guard let text = entry.stringValue, let bytes = try? Base64Payload.decode(text, param: "images", media: "image") else {
                throw .upstreamFailed(provider: provider, "the SD WebUI answer holds an image that is not base64")
            }
            produced.items.append((.bytes(bytes), nil))
        }
        return produced
    }
}
