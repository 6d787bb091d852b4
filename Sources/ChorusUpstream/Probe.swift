import CCurl
import CChorusShims

func probe() -> CURLcode {
    let h: UnsafeMutableRawPointer? = curl_easy_init()
    let rc: CURLcode = chorus_curl_setopt_long(h, CURLOPT_VERBOSE, 0)
    curl_easy_cleanup(h)
    return rc
}
