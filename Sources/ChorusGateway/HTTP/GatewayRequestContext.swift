import Hummingbird

public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Routes collect their bodies themselves with their own limits (JSON vs uploads) and answer 413 in
    /// OpenAI's shape; this only bounds Hummingbird's own decoder, which Chorus does not use for bodies.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }
}
