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


// The multi socket interface (curl_multi_socket_action): curl says which sockets to watch and when to time out.
CURLMcode chorus_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value);
CURLMcode chorus_curl_multi_setopt_socket_function(CURLM *multi, curl_socket_callback callback);
CURLMcode chorus_curl_multi_setopt_timer_function(CURLM *multi, curl_multi_timer_callback callback);

// The socket watcher: one epoll set for the sockets of every curl multi handle, each armed one-shot (it reports a
// socket once, then stays quiet until re-armed), so the thread that waits on it never spins while the owner of a
// socket has not yet acted on it. `tag` comes back with each event (the owner's index). Linux only.
int chorus_watch_create(void);
// Adds (`is_new`) or re-arms `fd` for `what` (CURL_POLL_IN / OUT / INOUT). Returns 0, or -1 with errno.
int chorus_watch_arm(int epfd, int fd, int what, unsigned int tag, int is_new);
// Stops watching `fd` (ignores a socket already closed). Returns 0, or -1 with errno.
int chorus_watch_remove(int epfd, int fd);
// Waits up to `timeout_ms` (-1: forever) for events; fills the arrays with each socket, its CURL_CSELECT_* bits and
// its tag. Returns how many, 0 on timeout or EINTR, -1 on another error.
int chorus_watch_wait(int epfd, int *fds, int *bits, unsigned int *tags, int capacity, int timeout_ms);
// An eventfd that wakes the waiting thread (for shutdown), watched level-triggered under `tag`.
int chorus_watch_add_waker(int epfd, unsigned int tag);
int chorus_watch_wake(int waker);
