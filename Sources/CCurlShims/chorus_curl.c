#include "chorus_curl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

CURLcode chorus_curl_setopt_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
CURLcode chorus_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) { return curl_easy_setopt(handle, option, value); }
CURLcode chorus_curl_setopt_string(CURL *handle, CURLoption option, const char *value) { return curl_easy_setopt(handle, option, value); }
CURLcode chorus_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) { return curl_easy_setopt(handle, option, value); }
CURLcode chorus_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
CURLcode chorus_curl_getinfo_pointer(CURL *handle, CURLINFO info, void **value) { return curl_easy_getinfo(handle, info, value); }
CURLMcode chorus_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) { return curl_multi_setopt(multi, option, value); }

CURLcode chorus_curl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
CURLcode chorus_curl_setopt_read_function(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}
CURLcode chorus_curl_setopt_seek_function(CURL *handle, curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}
CURLcode chorus_curl_setopt_opensocket_function(CURL *handle, curl_opensocket_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback);
}
CURLcode chorus_curl_setopt_prereq_function(CURL *handle, curl_prereq_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, callback);
}

int chorus_curl_sockaddr_ip(const struct curl_sockaddr *address, unsigned char out[16]) {
    if (address->family == AF_INET && address->addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)&address->addr;
        memcpy(out, &in4->sin_addr, 4);
        return 4;
    }
    if (address->family == AF_INET6 && address->addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&address->addr;
        memcpy(out, &in6->sin6_addr, 16);
        return 16;
    }
    return 0;
}

curl_socket_t chorus_curl_open_socket(const struct curl_sockaddr *address) {
    int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int chorus_parse_ip(const char *text, unsigned char out[16]) {
    if (text == NULL) return 0;
    if (inet_pton(AF_INET, text, out) == 1) return 4;
    if (inet_pton(AF_INET6, text, out) == 1) return 16;
    return 0;
}


CURLMcode chorus_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}
CURLMcode chorus_curl_multi_setopt_socket_function(CURLM *multi, curl_socket_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
}
CURLMcode chorus_curl_multi_setopt_timer_function(CURLM *multi, curl_multi_timer_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
}

#ifdef __linux__
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int chorus_watch_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static uint64_t chorus_watch_data(int fd, unsigned int tag) { return ((uint64_t)tag << 32) | (uint32_t)fd; }

int chorus_watch_arm(int epfd, int fd, int what, unsigned int tag, int is_new) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLONESHOT | EPOLLRDHUP;
    if (what & CURL_POLL_IN) event.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) event.events |= EPOLLOUT;
    event.data.u64 = chorus_watch_data(fd, tag);
    /* The caller knows whether the socket is in the set: one call, not a MOD that fails and then an ADD.
       The other one is still tried, for a descriptor number reused or closed behind the caller's back. */
    int first = is_new ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(epfd, first, fd, &event) == 0) return 0;
    if (errno != (is_new ? EEXIST : ENOENT)) return -1;
    return epoll_ctl(epfd, is_new ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

int chorus_watch_remove(int epfd, int fd) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event) == 0 || errno == ENOENT || errno == EBADF) return 0;
    return -1;
}

int chorus_watch_wait(int epfd, int *fds, int *bits, unsigned int *tags, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int count = epoll_wait(epfd, events, capacity, timeout_ms);
    if (count < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < count; i++) {
        uint64_t data = events[i].data.u64;
        fds[i] = (int)(uint32_t)data;
        tags[i] = (unsigned int)(data >> 32);
        int b = 0;
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) b |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) b |= CURL_CSELECT_OUT;
        if (events[i].events & EPOLLERR) b |= CURL_CSELECT_ERR;
        bits[i] = b;
    }
    return count;
}

int chorus_watch_add_waker(int epfd, unsigned int tag) {
    int waker = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (waker < 0) return -1;
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN;
    event.data.u64 = chorus_watch_data(waker, tag);
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, waker, &event) != 0) { close(waker); return -1; }
    return waker;
}

int chorus_watch_wake(int waker) {
    uint64_t one = 1;
    return write(waker, &one, sizeof one) == sizeof one ? 0 : -1;
}
#endif
