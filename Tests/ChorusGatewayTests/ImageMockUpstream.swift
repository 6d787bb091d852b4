import ChorusGateway
import ChorusMedia
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// An in-process image provider: OpenAI's image routes (JSON generations, multipart edits and variations, SSE
/// when asked) and AUTOMATIC1111's `/sdapi/v1/txt2img|img2img`. It records what it received, parsed, so tests can
/// check exactly what Chorus forwarded. Model names pick behaviours:
/// `echo-mask` answers with the mask it got, `echo-image` with the first image, `url-model` with a URL to
/// `/files/{name}.png` on itself instead of base64.
final class ImageMockUpstream: Sendable {
    struct Part: Sendable {
        var name: String
        var filename: String?
        var contentType: String?
        var data: [UInt8]
    }

    struct Received: Sendable {
        var path: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var body: [UInt8]
        var parts: [Part]

        func field(_ name: String) -> String? { parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.data, as: UTF8.self) } }
        func files(_ name: String) -> [Part] { parts.filter { $0.name == name && $0.filename != nil } }
    }

    private let state = NIOLockedValueBox<[Received]>([])
    var received: [Received] { state.withLockedValue { $0 } }
    var lastReceived: Received? { received.last }

    static let usage = #"{"input_tokens":12,"output_tokens":34,"total_tokens":46}"#

    /// A solid RGB PNG of the given size.
    static func png(width: Int, height: Int, rgba: (UInt8, UInt8, UInt8, UInt8) = (200, 40, 40, 255)) -> [UInt8] {
        (try? ImageWriter.encode(RGBAImage(width: width, height: height, fill: (rgba.0, rgba.1, rgba.2, rgba.3)), as: .png)) ?? []
    }

    var application: some ApplicationProtocol {
        let router = Router()
        for path in ["/v1/images/generations", "/v1/images/edits", "/v1/images/variations", "/sdapi/v1/txt2img", "/sdapi/v1/img2img"] {
            router.post(RouterPath(stringLiteral: path)) { request, _ in try await self.answer(request, path: path) }
        }
        router.post("/v1/chat/completions") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: MockUpstream.chatJSON(model: "chat-upstream"))))
        }
        router.get("/files/{name}") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard name.hasSuffix(".png"), let side = Int(name.dropLast(4)) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: Self.png(width: side, height: side))))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func answer(_ request: Request, path: String) async throws -> Response {
        var request = request
        let body = Array(try await request.collectBody(upTo: 64 << 20).readableBytesView)
        let parts = Self.parseMultipart(body, contentType: request.headers[.contentType] ?? "")
        let received = Received(path: path, body: body, parts: parts)
        state.withLockedValue { $0.append(received) }
        let json = received.json ?? [:]

        if path.hasPrefix("/sdapi") {
            let count = json["batch_size"] as? Int ?? 1
            let width = json["width"] as? Int ?? 512
            let height = json["height"] as? Int ?? 512
            var image = Self.png(width: width, height: height)
            if let mask = json["mask"] as? String, let data = Data(base64Encoded: mask) { image = Array(data) }
            let images = Array(repeating: "\"" + Data(image).base64EncodedString() + "\"", count: count)
            // A1111 also returns the mask after the batch when asked for it; Chorus must drop extras.
            let text = #"{"images":[\#((images + ["\"AAAA\""]).joined(separator: ","))],"parameters":{},"info":"{}"}"#
            return Self.json(text)
        }

        let model = json["model"] as? String ?? received.field("model") ?? ""
        let size = (json["size"] as? String ?? received.field("size")).flatMap { $0 == "auto" ? nil : $0 } ?? "64x64"
        let dims = size.split(separator: "x").compactMap { Int($0) }
        let (width, height) = dims.count == 2 ? (dims[0], dims[1]) : (64, 64)
        let n = json["n"] as? Int ?? received.field("n").flatMap(Int.init) ?? 1
        if model == "fail-model" {
            return Response(status: .badRequest, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"Your prompt was rejected","type":"invalid_request_error","param":"prompt","code":"content_policy_violation"}}"#)))
        }
        var image = Self.png(width: width, height: height)
        if model == "echo-mask", let mask = received.files("mask").first { image = mask.data }
        if model == "echo-image", let first = (received.files("image") + received.files("image[]")).first { image = first.data }
        if (json["stream"] as? Bool ?? false) || received.field("stream") == "true" {
            let prefix = path.hasSuffix("generations") ? "image_generation" : "image_edit"
            let b64 = Data(image).base64EncodedString()
            let text = "event: \(prefix).partial_image\ndata: {\"type\":\"\(prefix).partial_image\",\"b64_json\":\"\(b64)\",\"partial_image_index\":0}\n\n"
                + "event: \(prefix).completed\ndata: {\"type\":\"\(prefix).completed\",\"b64_json\":\"\(b64)\",\"usage\":\(Self.usage)}\n\n"
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let entry: String
        if model == "url-model" {
            entry = #"{"url":"http://127.0.0.1:\#(request.head.authority?.split(separator: ":").last ?? "0")/files/\#(width).png"}"#
        } else {
            entry = #"{"b64_json":"\#(Data(image).base64EncodedString())","revised_prompt":"a revised prompt"}"#
        }
        let data = Array(repeating: entry, count: n).joined(separator: ",")
        return Self.json(#"{"created":1700000000,"data":[\#(data)],"size":"\#(size)","usage":\#(Self.usage)}"#)
    }

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Enough multipart parsing to see what Chorus forwarded: parts split on the boundary, with name and filename.
    static func parseMultipart(_ body: [UInt8], contentType: String) -> [Part] {
        guard let range = contentType.range(of: "boundary=") else { return [] }
        let delimiter = Array(("--" + contentType[range.upperBound...]).utf8)
        var parts: [Part] = []
        var positions: [Int] = []
        var index = 0
        while index + delimiter.count <= body.count {
            if body[index] == delimiter[0], Array(body[index..<(index + delimiter.count)]) == delimiter {
                positions.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            let section = Array(body[(start + delimiter.count + 2)..<(end - 2)])
            guard let split = section.indices.first(where: { i in
                i + 3 < section.count && section[i] == 13 && section[i + 1] == 10 && section[i + 2] == 13 && section[i + 3] == 10
            }) else { continue }
            let header = String(decoding: section[..<split], as: UTF8.self)
            func value(_ key: String) -> String? {
                guard let r = header.range(of: key + "=\"") else { return nil }
                return String(header[r.upperBound...].prefix { $0 != "\"" })
            }
            let contentType = header.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
                .map { String($0.dropFirst("content-type:".count)).trimmingCharacters(in: .whitespaces) }
            parts.append(Part(name: value(" name") ?? value("name") ?? "", filename: value("filename"), contentType: contentType,
                              data: Array(section[(split + 4)...])))
        }
        return parts
    }
}
