import CCurlShims
import CCurl

/// `curl_global_init` exactly once per process (a global `let` is initialised once, thread-safely).
private let curlGlobalInitResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

enum CurlGlobal {
    static func initialize() throws {
        let code = curlGlobalInitResult
        guard code == CURLE_OK else {
            throw UpstreamError(kind: .shutdown, message: "curl_global_init failed: \(CurlGlobal.describe(code))",
                                curlCode: Int32(code.rawValue))
        }
    }

    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }
}
