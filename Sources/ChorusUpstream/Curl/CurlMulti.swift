import CCurlShims
import CCurl

/// Owns one `CURLM *` multi handle (and with it the connection cache, DNS cache and HTTP/2 sessions). Used on its
/// `CurlLoop`'s event loop only.
final class CurlMulti {
    private(set) var handle: UnsafeMutableRawPointer?

    init() throws {
        guard let handle = curl_multi_init() else {
            throw UpstreamError(kind: .shutdown, message: "curl_multi_init failed")
        }
        self.handle = handle
        // Multiplex HTTP/2 streams over one connection (libcurl's default, stated).
        _ = chorus_curl_multi_setopt_long(handle, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        // Keep enough idle connections around for bursts to many hosts.
        _ = chorus_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, 64)
    }

    deinit {
        self.close()
    }

    func close() {
        if let handle = self.handle {
            curl_multi_cleanup(handle)
            self.handle = nil
        }
    }
}
