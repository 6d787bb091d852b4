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

// Callback setters: a C function pointer is not a `void *` in Swift, so each callback type gets its own setter.
CURLcode chorus_curl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback);
CURLcode chorus_curl_setopt_read_function(CURL *handle, curl_read_callback callback);
CURLcode chorus_curl_setopt_seek_function(CURL *handle, curl_seek_callback callback);
CURLcode chorus_curl_setopt_opensocket_function(CURL *handle, curl_opensocket_callback callback);
CURLcode chorus_curl_setopt_prereq_function(CURL *handle, curl_prereq_callback callback);

// Copies the IP address of a curl_sockaddr into `out` (network byte order).
// Returns 4 for IPv4, 16 for IPv6, 0 for any other family.
int chorus_curl_sockaddr_ip(const struct curl_sockaddr *address, unsigned char out[16]);
// What curl's default CURLOPT_OPENSOCKETFUNCTION does, plus close-on-exec.
curl_socket_t chorus_curl_open_socket(const struct curl_sockaddr *address);
// Parses a numeric IPv4 or IPv6 address string (as curl reports it) into `out`. Returns 4, 16 or 0.
int chorus_parse_ip(const char *text, unsigned char out[16]);

