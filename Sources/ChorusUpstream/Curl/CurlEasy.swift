import CCurlShims
import CCurl

/// Owns one `CURL *` easy handle, its header list and its error buffer. Used on the curl loop only.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER target: curl writes a readable message here when a transfer fails.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The CURLOPT_HTTPHEADER list; curl reads it until the handle is reset, so it is freed then.
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() throws {
        guard let handle = curl_easy_init() else {
            throw UpstreamError.transferFailed("curl_easy_init failed")
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(self.handle)
        curl_slist_free_all(self.headerList)
        self.errorBuffer.deallocate()
    }

    /// Back to a fresh state for the pool. Connections live in the multi handle, so they survive this.
    func reset() {
        curl_easy_reset(self.handle)
        curl_slist_free_all(self.headerList)
        self.headerList = nil
        self.errorBuffer[0] = 0
    }

    /// Installs the error buffer; call after every reset.
    func installErrorBuffer() throws {
        self.errorBuffer[0] = 0
        try self.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(self.errorBuffer))
    }

    /// The message curl wrote for the last failure, or its generic text for `code`.
    func errorMessage(for code: CURLcode) -> String {
        let detail = String(cString: self.errorBuffer)
        return detail.isEmpty ? CurlGlobal.describe(code) : detail
    }

    func setHeaders(_ lines: [String]) throws {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw UpstreamError.transferFailed("curl_slist_append failed")
            }
            list = appended
        }
        curl_slist_free_all(self.headerList)
        self.headerList = list
        try self.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(list))
    }

    func set(_ option: CURLoption, _ value: Int) throws {
        try self.check(chorus_curl_setopt_long(self.handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws {
        try self.check(chorus_curl_setopt_off_t(self.handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, _ value: String) throws {
        try self.check(chorus_curl_setopt_string(self.handle, option, value), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws {
        try self.check(chorus_curl_setopt_pointer(self.handle, option, value), option)
    }

    func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw UpstreamError.invalidRequest(
                "curl option \(option.rawValue) was refused: \(CurlGlobal.describe(code))",
                curlCode: Int32(code.rawValue))
        }
    }

    func info(_ info: CURLINFO) -> Int? {
        var value = 0
        guard chorus_curl_getinfo_long(self.handle, info, &value) == CURLE_OK else { return nil }
        return value
    }

    func infoString(_ info: CURLINFO) -> String? {
        var value: UnsafeMutableRawPointer? = nil
        guard chorus_curl_getinfo_pointer(self.handle, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value.assumingMemoryBound(to: CChar.self))
    }
}
