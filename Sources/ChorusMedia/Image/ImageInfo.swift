/// What an image's header says, read without decoding the pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The image has an alpha channel (PNG colour types 4/6 or a tRNS chunk; WebP alpha flag). JPEG never does.
    public var hasAlpha: Bool

    public init(format: ImageFormat, width: Int, height: Int, hasAlpha: Bool) {
        self.format = format
        self.width = width
        self.height = height
        self.hasAlpha = hasAlpha
    }
}
