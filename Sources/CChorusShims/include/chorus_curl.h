#pragma once
#include <curl/curl.h>

// curl_easy_setopt / curl_easy_getinfo are variadic and cannot be called from Swift.
CURLcode chorus_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode chorus_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode chorus_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode chorus_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode chorus_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode chorus_curl_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLMcode chorus_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
