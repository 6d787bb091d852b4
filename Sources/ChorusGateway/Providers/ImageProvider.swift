import ChorusMedia
import ChorusUpstream

/// Images and mask as the provider wants them (PNG when it asks for it, mask in its `mask_mode`).
struct PreparedImageInputs: Sendable {
    var images: [(bytes: [UInt8], format: ImageFormat, filename: String?)] = []
    var mask: [UInt8]?
    /// The first image's size: where an edit's output size comes from when the caller gave none.
    var firstSize: (width: Int, height: Int)?
}

/// A provider either produced images or answered with something the caller gets as it is (its error status and
/// body, or its own SSE stream).
enum ImageAnswer: Sendable {
    case images(ProducedImages)
    case upstreamAnswer(UpstreamResponse)
}

/// Image generations, edits and variations.
protocol ImageProvider: Sendable {
    /// Inputs converted to PNG before they are sent.
    var wantsPNGInputs: Bool { get }
    /// The mask convention the provider reads, and the colour that marks edits in a mask without alpha.
    var maskMode: MaskMode { get }
    var maskEditColor: MaskEditColor { get }
    /// Whether a provider URL in an answer may point at a private address when Chorus fetches it.
    var allowsPrivateURLs: Bool { get }
    func produce(_ job: ImageJob, prepared: PreparedImageInputs, model: ModelConfig) async throws(GatewayError) -> ImageAnswer
}
