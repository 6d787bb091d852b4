/// The status line and headers of an upstream response; the body streams separately.
public struct UpstreamResponse: Sendable {
    public let status: Int
    /// In received order, names as received. Trailers are not included.
    public let headers: [(String, String)]
    public let body: UpstreamResponseBody

    public init(status: Int, headers: [(String, String)], body: UpstreamResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return self.headers.first { $0.0.lowercased() == wanted }?.1
    }
}
