import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /ui` and `GET /ui/<file>`: the web console, static files with no key (the page asks for one and sends it
/// with each API call; the key is never part of a page). Every answer carries a Content-Security-Policy that allows
/// only the gateway's own scripts, styles and API: no inline script, no other origin.
struct ConsoleRoutes: Sendable {
    let assets: ConsoleAssets

    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
        "media-src 'self' blob: data:", "connect-src 'self'", "font-src 'self'", "manifest-src 'self'",
        "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    func register(on router: Router<GatewayRequestContext>) {
        router.get("ui") { request, _ in serve("index.html", request: request) }
        router.get("ui/**") { request, context in
            serve(context.parameters.getCatchAll().joined(separator: "/"), request: request)
        }
    }

    func serve(_ name: String, request: Request) -> Response {
        var headers = Self.securityHeaders
        guard let file = assets.file(name.isEmpty ? "index.html" : name) else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .notFound, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "Not found\n")))
        }
        headers[.eTag] = file.etag
        // The console changes with the binary: a browser revalidates every load and gets a 304 when nothing changed.
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static var securityHeaders: HTTPFields {
        var headers = HTTPFields()
        if let csp = HTTPField.Name("content-security-policy") { headers[csp] = contentSecurityPolicy }
        if let nosniff = HTTPField.Name("x-content-type-options") { headers[nosniff] = "nosniff" }
        if let referrer = HTTPField.Name("referrer-policy") { headers[referrer] = "no-referrer" }
        if let frames = HTTPField.Name("x-frame-options") { headers[frames] = "DENY" }
        return headers
    }
}
