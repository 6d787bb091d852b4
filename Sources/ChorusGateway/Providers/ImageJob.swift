import ChorusMedia

/// One image request, whatever form it came in (JSON generation, multipart or JSON edit, variation, LoLLMs edit,
/// chat with `modalities: ["image"]`), before it is adapted to a provider.
struct ImageJob: Sendable {
    enum Kind: String, Sendable {
        case generation, edit, variation

        /// What the model must offer: generation is `images`; edits and variations take an input image.
        var capability: Capability { self == .generation ? .images : .imageEdits }

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
