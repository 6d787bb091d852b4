import ChorusMedia

/// A model's `image_caps`: the image requests it takes. A generation, edit or variation outside them is a 400
/// naming the parameter and what is allowed, before any provider is asked. Every field is optional; an absent one
/// allows whatever the provider takes, and a request that leaves a parameter out is left to the provider's default.
public struct ImageCaps: Sendable, Equatable {
    /// `sizes`: the `size`s accepted, as `WxH` or `auto`.
    public var sizes: [String]?
    /// `size_rule`: the sizes accepted, by rule (a model that takes any size within bounds); `auto` passes.
    public var sizeRule: SizeRule?
    /// `formats`: the `output_format`s offered.
    public var formats: [ImageFormat]?
    /// `transparency`: whether `background: transparent` is offered.
    public var transparency: Bool?
    /// `max_n`: the most images one request may ask for.
    public var maxN: Int?
    /// `qualities`: the `quality` values accepted.
    public var qualities: [String]?

    public init() {}

    /// A size as one spelling: `auto`, or `WxH` with sides of 1 to 16384 (what a request may ask for); nil otherwise.
    static func normalizedSize(_ text: String) -> String? {
        let lowered = text.lowercased()
        if lowered == "auto" { return lowered }
        let parts = lowered.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
              (1...16384).contains(width), (1...16384).contains(height) else { return nil }
        return "\(width)x\(height)"
    }

    /// `size_rule`: what a `WxH` size must satisfy.
    public struct SizeRule: Sendable, Equatable {
        /// `multiple_of`: both sides a multiple of this.
        public var multipleOf: Int?
        /// `min_pixels`, `max_pixels`: bounds of width × height.
        public var minPixels: Int?
        public var maxPixels: Int?
        /// `min_aspect`, `max_aspect`: bounds of width : height, written `"1:3"`.
        public var minAspect: Aspect?
        public var maxAspect: Aspect?

        public init() {}
    }

    /// A width : height ratio, compared without rounding.
    public struct Aspect: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int

        /// `"3:1"`; nil unless both sides are integers from 1 to 100000 (bounded, so comparing ratios by
        /// cross-multiplying with a request's sides cannot overflow).
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
                  (1...100_000).contains(width), (1...100_000).contains(height) else { return nil }
            self.width = width
            self.height = height
        }

        /// `width : height` in lowest terms (1536x1024 is 3:2); sides below 1 count as 1.
        init(width: Int, height: Int) {
            func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
            let (w, h) = (max(1, width), max(1, height))
            let divisor = gcd(w, h)
            self.width = w / divisor
            self.height = h / divisor
        }

        public var description: String { "\(width):\(height)" }

        /// Whether this ratio is wider than `w : h` (cross-multiplied: no rounding).
        func isWider(than w: Int, _ h: Int) -> Bool { width * h > w * height }
    }
}
