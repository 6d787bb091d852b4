import ChorusMedia
import ChorusWire

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
                    throw .invalidParameter("size", "'size' must be 'auto' or WIDTHxHEIGHT, e.g. 1024x1024; got '\(GatewayError.echo(text))'.")
                }
            }
        }
        if let text = try field("response_format"), !text.isEmpty {
            guard let value = ResponseFormat(rawValue: text) else {
                throw .invalidParameter("response_format", "'response_format' must be 'url' or 'b64_json'; got '\(GatewayError.echo(text))'.")
            }
            responseFormat = value
        }
        if let text = try field("output_format"), !text.isEmpty {
            guard let value = ImageFormat(rawValue: text == "jpg" ? "jpeg" : text) else {
                throw .invalidParameter("output_format", "'output_format' must be png, jpeg or webp; got '\(GatewayError.echo(text))'.")
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

    /// Fields a JSON body gives as numbers, and as booleans; every other field is a string.
    static let numberFields: Set<String> = ["n", "output_compression", "partial_images"]
    static let booleanFields: Set<String> = ["stream"]

    /// Reads the common parameters from a JSON body, each in the JSON type OpenAI documents for it: a number
    /// where a string belongs (`"prompt": 123`) or the reverse is 400 naming the field.
    mutating func readCommon(json: JSONValue) throws(GatewayError) {
        try readCommon { (name: String) throws(GatewayError) -> String? in
            guard let value = json[name], !value.isNull else { return nil }
            switch value {
            case .number(let text) where Self.numberFields.contains(name): return text
            case .bool(let flag) where Self.booleanFields.contains(name): return flag ? "true" : "false"
            case .string(let text) where !Self.numberFields.contains(name) && !Self.booleanFields.contains(name): return text
            default:
                let type = Self.numberFields.contains(name) ? "an integer" : Self.booleanFields.contains(name) ? "a boolean" : "a string"
                throw .invalidParameter(name, "'\(name)' must be \(type).")
            }
        }
    }
}
