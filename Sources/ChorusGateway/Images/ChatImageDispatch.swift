import ChorusMedia
import ChorusWire
import Foundation
import Hummingbird
import NIOCore

/// Gumloop/OpenRouter-style image output from the chat route: a chat completion whose `modalities` contains
/// `"image"` (or that has `image_config`), sent to an image model, runs an image generation from the last user
/// message and answers with `choices[0].message.images`. Chat models never get here: they see the field and
/// ignore it, as upstream would.
struct ChatImageDispatch: Sendable {
    let routes: ImageRoutes

    static func asksForImage(_ json: JSONValue) -> Bool {
        if let config = json["image_config"], !config.isNull { return true }
        return json["modalities"]?.arrayValue?.contains { $0.stringValue == "image" } ?? false
    }

    /// nil when the request is an ordinary chat completion.
    func respond(json: JSONValue, modelName: String, stream: Bool, caller: Caller,
                 trace: RequestTrace) async throws(GatewayError) -> Response? {
        guard Self.asksForImage(json), let model = routes.services.catalog.resolve(modelName),
              model.supports(.images), !model.supports(.chat)
        else { return nil }
        var job = ImageJob(kind: .generation, model: modelName)
        job.prompt = try Self.lastUserText(json)
        job.n = 1
        job.size = try Self.size(json["image_config"])
        job.responseFormat = .b64JSON
        let resolved = try routes.resolve(job, caller: caller, trace: trace)
        trace.update { $0.stream = stream }
        let (answer, answered) = try await routes.pipeline.produce(job, model: resolved, caller: caller, trace: trace)
        switch answer {
        case .upstreamAnswer(let upstream):
            return try await UpstreamPassthrough(trace: trace).response(for: upstream, connection: nil, watchClientClose: false)
        case .images(let produced):
            trace.markFirstByte()
            let finished = try await routes.pipeline.finish(produced, job: job, model: answered, caller: caller, responseFormat: .b64JSON)
            ImageRoutes.recordUsage(finished, produced: produced, job: job, trace: trace)
            let images: [JSONValue] = finished.map { image in
                let url = "data:\((image.format ?? .png).contentType);base64,\(image.b64 ?? "")"
                return ["type": "image_url", "image_url": ["url": .string(url)]]
            }
            let response = stream
                ? Self.streamed(images: images, model: modelName, trace: trace)
                : Response.json(Self.completion(images: images, model: modelName, usage: produced.usage, trace: trace))
            trace.update { $0.bytesOut = response.body.contentLength ?? 0 }
            trace.finish(status: 200)
            return response
        }
    }

    /// The text of the last user message: a string, or the `text` parts of a content array.
    static func lastUserText(_ json: JSONValue) throws(GatewayError) -> String {
        guard let messages = json["messages"]?.arrayValue else { throw .missingParameter("messages") }
        guard let message = messages.last(where: { $0["role"]?.stringValue == "user" }) else {
            throw .invalidParameter("messages", "An image request needs a user message to use as the prompt.")
        }
        let text: String
        switch message["content"] {
        case .string(let value)?: text = value
        case .array(let parts)?:
            text = parts.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined(separator: "\n")
        default: text = ""
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidParameter("messages", "The last user message has no text to use as the image prompt.")
        }
        return text
    }

    /// `image_config.size` as given, or `aspect_ratio` mapped to the nearest of OpenAI's sizes.
    static func size(_ config: JSONValue?) throws(GatewayError) -> String? {
        guard let config, !config.isNull else { return nil }
        if let size = config["size"]?.stringValue { return size }
        guard let ratio = config["aspect_ratio"]?.stringValue else { return nil }
        let parts = ratio.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
            throw .invalidParameter("image_config", "'image_config.aspect_ratio' must look like 16:9.")
        }
        let aspect = parts[0] / parts[1]
        return aspect > 1.2 ? "1536x1024" : aspect < 0.83 ? "1024x1536" : "1024x1024"
    }

    static func completion(images: [JSONValue], model: String, usage: JSONValue?, trace: RequestTrace) -> JSONValue {
        var json: JSONValue = [
            "id": .string("chatcmpl-\(trace.requestID)"), "object": "chat.completion",
            "created": .number(Int(Date().timeIntervalSince1970)), "model": .string(model),
            "choices": [["index": 0, "message": ["role": "assistant", "content": "", "images": .array(images)], "finish_reason": "stop"]],
        ]
        // The image provider's token counts in chat's names, when it reported any.
        if let usage, let input = usage["input_tokens"]?.intValue, let output = usage["output_tokens"]?.intValue {
            json.set("usage", ["prompt_tokens": .number(input), "completion_tokens": .number(output),
                               "total_tokens": .number(usage["total_tokens"]?.intValue ?? input + output)])
        }
        return json
    }

    /// One chunk carrying the images, then `[DONE]`.
    static func streamed(images: [JSONValue], model: String, trace: RequestTrace) -> Response {
        let chunk: JSONValue = [
            "id": .string("chatcmpl-\(trace.requestID)"), "object": "chat.completion.chunk",
            "created": .number(Int(Date().timeIntervalSince1970)), "model": .string(model),
            "choices": [["index": 0, "delta": ["role": "assistant", "content": "", "images": .array(images)], "finish_reason": "stop"]],
        ]
        var buffer = SSE.frame(chunk)
        SSE.writeDone(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: .init(byteBuffer: buffer))
    }
}
