import ChorusMedia
import ChorusWire

/// One image request, whatever form it came in (JSON generation, multipart or JSON edit, variation, LoLLMs edit,
/// chat with `modalities: ["image"]`), before it is adapted to a provider.
struct ImageJob: Sendable {
    enum Kind: String, Sendable {
        case generation, edit, variation

        var route: String {
            switch self {
            case .generation: "/images/generations"
            case .edit: "/images/edits"
            case .variation: "/images/variations"
            }
        }

        /// The SSE event prefix OpenAI uses for this kind (`image_generation.completed`, `image_edit.completed`).
        var eventPrefix: String { self == .generation ? "image_generation" : "image_edit" }
    }

    enum ResponseFormat: String, Sendable {
        case url, b64JSON = "b64_json"
    }

    /// An input image or mask, already read into memory and checked.
    struct Input: Sendable {
        var bytes: [UInt8]
        var info: ImageInfo
        var filename: String?
    }

    var kind: Kind
    var model: String
    var prompt: String?
    var n: Int?
    var size: String?
    /// nil: answer in whatever form the provider used.
    var responseFormat: ResponseFormat?
    var outputFormat: ImageFormat?
    var outputCompression: Int?
    var stream = false
    var partialImages: Int?
    /// Forwarded as they are when the provider accepts them: quality, style, background, moderation, user,
    /// input_fidelity.
    var options: [(String, String)] = []
    var images: [Input] = []
    var mask: Input?

    init(kind: Kind, model: String) {
        self.kind = kind
        self.model = model
    }

    static let maxImages = 16
    static let optionNames = ["quality", "style", "background", "moderation", "user", "input_fidelity"]

    /// Width and height from a `WxH` size, nil for `auto` or none.
    var dimensions: (width: Int, height: Int)? {
        guard let size else { return nil }
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else { return nil }
        return (width, height)
    }

    func option(_ name: String) -> String? { options.last { $0.0 == name }?.1 }
}

extension ImageJob {
    /// Checks the scalar parameters shared by every form; `field` reads one as a string (nil when absent).
    mutating func readCommon(_ field: (String) throws(GatewayError) -> String?) throws(GatewayError) {
        prompt = try field("prompt")
        if let text = try field("n") {
            guard let value = Int(text), (1...10).contains(value) else {
                throw .invalidParameter("n", "'n' must be an integer between 1 and 10.")
            }
            n = value
        }
        if let text = try field("size"), !text.isEmpty {
            size = text
            if text != "auto" {
                guard let dimensions, (1...16384).contains(dimensions.width), (1...16384).contains(dimensions.height) else {
                    throw .invalidParameter("size", "'size' must be 'auto' or WIDTHxHEIGHT, e.g. 1024x1024; got '\(text)'.")
                }
            }
        }
        if let text = try field("response_format"), !text.isEmpty {
            guard let value = ResponseFormat(rawValue: text) else {
                throw .invalidParameter("response_format", "'response_format' must be 'url' or 'b64_json'; got '\(text)'.")
            }
            responseFormat = value
        }
        if let text = try field("output_format"), !text.isEmpty {
            guard let value = ImageFormat(rawValue: text == "jpg" ? "jpeg" : text) else {
                throw .invalidParameter("output_format", "'output_format' must be png, jpeg or webp; got '\(text)'.")
            }
            outputFormat = value
        }
        if let text = try field("output_compression") {
            guard let value = Int(text), (0...100).contains(value) else {
                throw .invalidParameter("output_compression", "'output_compression' must be an integer between 0 and 100.")
            }
            outputCompression = value
        }
        switch try field("stream")?.lowercased() {
        case nil, "", "false", "0": stream = false
        case "true", "1": stream = true
        default: throw .invalidParameter("stream", "'stream' must be true or false.")
        }
        if let text = try field("partial_images") {
            guard let value = Int(text), (0...3).contains(value) else {
                throw .invalidParameter("partial_images", "'partial_images' must be an integer between 0 and 3.")
            }
            partialImages = value
        }
        for name in Self.optionNames {
            if let value = try field(name), !value.isEmpty { options.append((name, value)) }
        }
    }

    /// Reads the common parameters from a JSON body: numbers and booleans are accepted where OpenAI takes them,
    /// any other type is 400 naming the field.
    mutating func readCommon(json: JSONValue) throws(GatewayError) {
        try readCommon { (name: String) throws(GatewayError) -> String? in
            guard let value = json[name], !value.isNull else { return nil }
            switch value {
            case .string(let text): return text
            case .number(let text): return text
            case .bool(let flag): return flag ? "true" : "false"
            default: throw .invalidParameter(name, "'\(name)' must be a string or a number.")
            }
        }
    }
}
