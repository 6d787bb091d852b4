import CCurlShims
import CCurl
import NIOCore

/// Setting up an easy handle for a transfer, and mapping curl's result to `UpstreamError`. Event thread only.
extension Transfer {
    func configure(_ easy: CurlEasy) throws {
        let request = self.request
        let userData = Unmanaged.passUnretained(self).toOpaque()

        try easy.installErrorBuffer()
        do {
            try easy.set(CURLOPT_URL, request.url)
        } catch {
            throw UpstreamError.invalidRequest("invalid URL '\(request.url)'")
        }
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Never wait for another transfer's connection to learn whether it multiplexes: over plain HTTP/1.1 that
        // is only learnt from its response, so one upstream that accepted a request and never answered held every
        // later request to it (PIPEWAIT=1: 16 calls behind a hanging one took 7.8 s, until it timed out; with 0,
        // 0.1 s), and on TLS a stalled handshake holds them until the connect timeout. Once ALPN said h2, curl
        // multiplexes new transfers onto that connection without PIPEWAIT; what waiting would save is only the
        // extra connections of a burst at a cold HTTP/2 upstream. Measured with bench/pipewait/run.
        try easy.set(CURLOPT_PIPEWAIT, 0)
        // A proxy's "200 Connection established" must not reach the header callback.
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        // libcurl refuses a new receive-buffer size once a handle has a buffer, which a pooled handle can still
        // hold after a transfer cancelled early (seen as a rare "option 98 refused" in the cancellation test).
        // A refusal leaves the size the handle had. A streamed answer arrives in small events and may stay open
        // for minutes: it gets curl's default 16 KiB (64 KiB each made 1,000 open streams hold 48 MB more);
        // a whole answer (an image, a transcript) reads in 64 KiB steps.
        _ = try? easy.set(CURLOPT_BUFFERSIZE, request.idleTimeout > 0 ? 16 * 1024 : 64 * 1024)
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        if let caFile = request.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
        try easy.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        if request.idleTimeout > 0 {
            // Below 1 byte/s for the whole window = nothing arrived. libcurl counts in whole seconds.
            try easy.set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try easy.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(request.idleTimeout.rounded(.up))))
        }
        // CURLOPT_ACCEPT_ENCODING stays unset (bytes pass verbatim); CURLOPT_PROXY stays unset (env proxies, except
        // for fetches that refuse private addresses: below).

        try self.configureMethodAndBody(easy, userData: userData)
        try easy.setHeaders(try self.headerLines())

        try self.check(easy, chorus_curl_setopt_write_function(easy.handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let user else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        try easy.set(CURLOPT_WRITEDATA, pointer: userData)
        try self.check(easy, chorus_curl_setopt_write_function(easy.handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            guard let user else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
            return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        try easy.set(CURLOPT_HEADERDATA, pointer: userData)

        if request.refusePrivateAddresses {
            // Direct, never through an environment proxy: through one, the checks below would see the proxy's
            // address and the proxy would connect wherever the URL points, private networks included.
            try easy.set(CURLOPT_NOPROXY, "*")
            // New connections: refuse before the socket exists, on the address DNS actually returned.
            try self.check(easy, chorus_curl_setopt_opensocket_function(easy.handle) { user, _, address in
                guard let user, let address else { return CURL_SOCKET_BAD }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                var bytes = [UInt8](repeating: 0, count: 16)
                let length = Int(chorus_curl_sockaddr_ip(address, &bytes))
                let ip = Array(bytes.prefix(length))
                guard length > 0, !AddressPolicy.isPrivate(ip) else {
                    transfer.refusedAddress = Transfer.describe(ip)
                    return CURL_SOCKET_BAD
                }
                return chorus_curl_open_socket(address)
            })
            try easy.set(CURLOPT_OPENSOCKETDATA, pointer: userData)
            // Reused connections skip OPENSOCKET; PREREQ runs for every request, on the connected peer's address.
            try self.check(easy, chorus_curl_setopt_prereq_function(easy.handle) { user, primaryIP, _, _, _ in
                guard let user else { return Int32(CURL_PREREQFUNC_ABORT) }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                let ip = AddressPolicy.parse(primaryIP) ?? []
                guard !AddressPolicy.isPrivate(ip) else {
                    transfer.refusedAddress = Transfer.describe(ip)
                    return Int32(CURL_PREREQFUNC_ABORT)
                }
                return Int32(CURL_PREREQFUNC_OK)
            })
            try easy.set(CURLOPT_PREREQDATA, pointer: userData)
        }
    }

    private func configureMethodAndBody(_ easy: CurlEasy, userData: UnsafeMutableRawPointer) throws {
        let method = self.request.method
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw UpstreamError.invalidRequest("invalid HTTP method '\(method)'")
        }
        switch self.request.body {
        case .none:
            switch method {
            case "GET":
                try easy.set(CURLOPT_HTTPGET, 1)
            case "HEAD":
                try easy.set(CURLOPT_NOBODY, 1)
            case "POST", "PUT", "PATCH":
                // An empty body, sent with "Content-Length: 0".
                try self.setMemoryBody(easy, ByteBuffer())
                if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
            default:
                try easy.set(CURLOPT_CUSTOMREQUEST, method)
            }
        case .bytes(let buffer):
            try self.setMemoryBody(easy, buffer)
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        case .buffers(let parts):
            try easy.set(CURLOPT_POST, 1)
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(parts.reduce(0) { $0 + $1.readableBytes }))
            try self.check(easy, chorus_curl_setopt_read_function(easy.handle) { data, size, count, user in
                guard let user, let data else { return Int(CURL_READFUNC_ABORT) }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                return transfer.readMemoryBody(into: UnsafeMutableRawBufferPointer(start: data, count: size * count))
            })
            try easy.set(CURLOPT_READDATA, pointer: userData)
            // Without a seek callback curl cannot rewind the body and fails a resend with CURLE_SEND_FAIL_REWIND.
            try self.check(easy, chorus_curl_setopt_seek_function(easy.handle) { user, offset, origin in
                guard let user else { return Int32(CURL_SEEKFUNC_FAIL) }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                return transfer.seekMemoryBody(to: Int64(offset), origin: origin) ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_CANTSEEK)
            })
            try easy.set(CURLOPT_SEEKDATA, pointer: userData)
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        case .stream(_, let length):
            try easy.set(CURLOPT_POST, 1)
            // -1: unknown, HTTP/1.1 then sends it chunked.
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(length ?? -1))
            try self.check(easy, chorus_curl_setopt_read_function(easy.handle) { data, size, count, user in
                guard let user, let data else { return Int(CURL_READFUNC_ABORT) }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                return transfer.readBody(into: UnsafeMutableRawBufferPointer(start: data, count: size * count))
            })
            try easy.set(CURLOPT_READDATA, pointer: userData)
            if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
        }
    }

    /// A body from memory, not copied: curl reads the caller's buffer in place (and again for a resend when a
    /// reused connection turns out dead). `request` holds that buffer, unchanged, for as long as the transfer is in
    /// the multi handle, and a ByteBuffer's storage does not move while it is held and not written.
    private func setMemoryBody(_ easy: CurlEasy, _ buffer: ByteBuffer) throws {
        try easy.set(CURLOPT_POST, 1)
        try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(buffer.readableBytes))
        if buffer.readableBytes == 0 {
            try easy.set(CURLOPT_COPYPOSTFIELDS, "")
            return
        }
        try buffer.withUnsafeReadableBytes { bytes in
            try easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
        }
    }

    /// The caller's headers as curl lines, plus blanks that stop curl adding its own for bodies.
    private func headerLines() throws -> [String] {
        var lines: [String] = []
        var hasContentType = false
        var hasExpect = false
        for (name, value) in self.request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                throw UpstreamError.invalidRequest("invalid header name '\(name)'")
            }
            guard !value.utf8.contains(where: { $0 == 0x0d || $0 == 0x0a || $0 == 0 }) else {
                throw UpstreamError.invalidRequest("header '\(name)' has a line break in its value")
            }
            let lower = name.lowercased()
            if lower == "content-type" { hasContentType = true }
            if lower == "expect" { hasExpect = true }
            // "Name;" is curl's way to send a header with an empty value ("Name:" would remove it).
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        let hasBody: Bool
        switch self.request.body {
        case .none: hasBody = ["POST", "PUT", "PATCH"].contains(self.request.method)
        case .bytes, .buffers, .stream: hasBody = true
        }
        if hasBody {
            // curl would add "Content-Type: application/x-www-form-urlencoded" to a POST without one.
            if !hasContentType { lines.append("Content-Type:") }
            // curl would send "Expect: 100-continue" for large or chunked bodies and stall up to 1 s on
            // servers that do not answer it.
            if !hasExpect { lines.append("Expect:") }
        }
        return lines
    }

    /// The error for a transfer curl finished with `code`, or nil on success.
    func error(for code: CURLcode, easy: CurlEasy) -> UpstreamError? {
        guard code != CURLE_OK else { return nil }
        let curlCode = Int32(code.rawValue)
        let message = easy.errorMessage(for: code)
        // A callback aborted the transfer and said why.
        if let failure = self.callbackFailure {
            return UpstreamError(kind: failure.kind, message: failure.message, curlCode: curlCode)
        }
        // OPENSOCKET (-> COULDNT_CONNECT) or PREREQ (-> ABORTED_BY_CALLBACK) refused every address.
        if let address = self.refusedAddress, code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK {
            return UpstreamError(kind: .privateAddressRefused,
                                 message: "refused to connect to private address \(address)", curlCode: curlCode)
        }
        switch code {
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_INTERFACE_FAILED:
            return UpstreamError(kind: .connectFailed, message: message, curlCode: curlCode)
        case CURLE_OPERATION_TIMEDOUT:
            return UpstreamError(kind: .timedOut, message: message, curlCode: curlCode)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidRequest(message, curlCode: curlCode)
        default:
            return .transferFailed(message, curlCode: curlCode)
        }
    }

    private func check(_ easy: CurlEasy, _ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw UpstreamError.invalidRequest("curl refused a callback: \(CurlGlobal.describe(code))",
                                               curlCode: Int32(code.rawValue))
        }
    }

    static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(min(seconds * 1000, 1e12).rounded(.up))
    }

    /// RFC 9110 token characters (method and header names).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func describe(_ ip: [UInt8]) -> String {
        switch ip.count {
        case 4:
            return ip.map(String.init).joined(separator: ".")
        case 16:
            return stride(from: 0, to: 16, by: 2)
                .map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        default:
            return "a non-IP address"
        }
    }
}
