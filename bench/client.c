// client.c — the bench's precise HTTP/1.1 client (one connection, blocking, CLOCK_MONOTONIC).
//
//   client lat --port P [--host H] [--path /v1/chat/completions] --body JSON [--key K] --duration S [--warmup S]
//              [--dump FILE] [--count N]
//       closed loop at concurrency 1 on one keep-alive connection; every request's latency is kept and the
//       exact percentiles are printed as one line:  RESULT {...}; --dump writes every latency (ns) in order;
//       --count N stops after N requests past the warm-up (or at --duration, whichever comes first)
//   client sse --port P [--host H] [--path ...] --body JSON [--key K] --out FILE
//       sends one streaming request, writes the de-chunked response body to FILE and prints
//       RESULT {"status":..,"t_send_ns":..,"t_headers_ns":..,"events":[[index,arrival_ns],...],...}
//       where index is the N of "tokenNNNNN" in the event (-1 for [DONE]) and arrival_ns is the CLOCK_MONOTONIC
//       time when the recv() that completed the event returned.
// Build: gcc -O2 -o client client.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1", *path = "/v1/chat/completions", *body = "{}", *key = NULL, *outpath = NULL, *dumppath = NULL;
static int port = 0;
static double duration = 5, warmup = 0;
static long count = 0;   // lat: stop after this many measured requests (0: no limit)

static uint64_t now_ns(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static char req[1 << 16]; static size_t reqlen;
static void build_request(void) {
    int n = snprintf(req, sizeof req,
        "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nAccept: */*\r\n%s%s%sContent-Length: %zu\r\n\r\n%s",
        path, host, port, key ? "Authorization: Bearer " : "", key ? key : "", key ? "\r\n" : "", strlen(body), body);
    if (n <= 0 || (size_t)n >= sizeof req) { fprintf(stderr, "request too large\n"); exit(2); }
    reqlen = (size_t)n;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) { ssize_t k = send(fd, p, n, MSG_NOSIGNAL); if (k <= 0) { if (k < 0 && errno == EINTR) continue; return -1; } p += k; n -= (size_t)k; }
    return 0;
}

// ---- response reader -------------------------------------------------------------------------------------
typedef struct {
    char *buf; size_t len, cap, pos;   // raw bytes received, pos = parse position
    int status, chunked, keepalive; long clen;
    size_t hend;
} resp_t;

static int fill(int fd, resp_t *r) {
    if (r->cap - r->len < 65536) { r->cap = r->cap ? r->cap * 2 : 262144; r->buf = realloc(r->buf, r->cap); }
    ssize_t n;
    do n = recv(fd, r->buf + r->len, r->cap - r->len, 0); while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    r->len += (size_t)n;
    return 0;
}

static const char *find_ci(const char *h, size_t hl, const char *n) {
    size_t nl = strlen(n);
    for (size_t i = 0; i + nl <= hl; i++) if (!strncasecmp(h + i, n, nl)) return h + i;
    return NULL;
}

// parses the head once it is complete; returns 1 when parsed
static int parse_head(resp_t *r) {
    char *e = memmem(r->buf, r->len, "\r\n\r\n", 4);
    if (!e) return 0;
    r->hend = (size_t)(e - r->buf) + 4;
    r->status = atoi(r->buf + 9);
    r->chunked = find_ci(r->buf, r->hend, "\r\nTransfer-Encoding: chunked") != NULL;
    const char *cl = find_ci(r->buf, r->hend, "\r\nContent-Length:");
    r->clen = cl ? atol(cl + 17) : -1;
    r->keepalive = find_ci(r->buf, r->hend, "\r\nConnection: close") == NULL;
    r->pos = r->hend;
    return 1;
}

// ---- lat mode ----------------------------------------------------------------------------------------------
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return x < y ? -1 : x > y;
}

// one request/response on fd; returns status or -1 (fd must be reopened)
static int one_request(int fd, resp_t *r) {
    r->len = r->pos = 0; r->hend = 0;
    if (send_all(fd, req, reqlen) < 0) return -1;
    while (!parse_head(r)) if (fill(fd, r) < 0) return -1;
    if (r->status == 100) {   // drop an interim 100 Continue
        memmove(r->buf, r->buf + r->hend, r->len - r->hend); r->len -= r->hend;
        while (!parse_head(r)) if (fill(fd, r) < 0) return -1;
    }
    if (r->chunked) {
        for (;;) {   // walk the chunks
            char *crlf;
            while (!(crlf = memmem(r->buf + r->pos, r->len - r->pos, "\r\n", 2))) if (fill(fd, r) < 0) return -1;
            size_t sz = strtoul(r->buf + r->pos, NULL, 16);
            size_t data = (size_t)(crlf - r->buf) + 2;
            while (r->len < data + sz + 2) if (fill(fd, r) < 0) return -1;
            r->pos = data + sz + 2;
            if (sz == 0) break;
        }
    } else if (r->clen >= 0) {
        while (r->len < r->hend + (size_t)r->clen) if (fill(fd, r) < 0) return -1;
    } else {
        while (fill(fd, r) == 0) {}
        r->keepalive = 0;
    }
    return r->status;
}

static int run_lat(void) {
    resp_t r = {0};
    int fd = dial();
    if (fd < 0) { perror("connect"); return 1; }
    size_t cap = 1 << 20, n = 0; uint64_t *lat = malloc(cap * sizeof *lat);
    long errors = 0, non2xx = 0, reconnects = 0;
    uint64_t t0 = now_ns(), wend = t0 + (uint64_t)(warmup * 1e9), end = wend + (uint64_t)(duration * 1e9), tstart = 0;
    for (;;) {
        uint64_t a = now_ns();
        if (a >= end || (count > 0 && n >= (size_t)count)) break;
        if (a >= wend && !tstart) tstart = a;
        int st = one_request(fd, &r);
        uint64_t b = now_ns();
        if (st < 0) { errors++; close(fd); fd = dial(); reconnects++; if (fd < 0) { perror("connect"); return 1; } continue; }
        if (a >= wend) {
            if (st < 200 || st > 299) non2xx++;
            if (n == cap) { cap *= 2; lat = realloc(lat, cap * sizeof *lat); }
            lat[n++] = b - a;
        }
        if (!r.keepalive) { close(fd); fd = dial(); reconnects++; if (fd < 0) { perror("connect"); return 1; } }
    }
    uint64_t tend = now_ns();
    close(fd);
    if (!n) { fprintf(stderr, "no samples\n"); return 1; }
    if (dumppath) {   // every latency in ns, in request order (before sorting)
        FILE *f = fopen(dumppath, "w");
        if (f) { for (size_t i = 0; i < n; i++) fprintf(f, "%llu\n", (unsigned long long)lat[i]); fclose(f); }
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
    double sum = 0; for (size_t i = 0; i < n; i++) sum += (double)lat[i];
#define PCT(p) ((double)lat[(size_t)((p) / 100.0 * (double)(n - 1) + 0.5)] / 1000.0)
    printf("RESULT {\"requests\":%zu,\"duration_us\":%llu,\"errors\":%ld,\"non2xx\":%ld,\"reconnects\":%ld,"
           "\"lat_mean_us\":%.2f,\"lat_min_us\":%.2f,\"lat_p50_us\":%.2f,\"lat_p90_us\":%.2f,\"lat_p99_us\":%.2f,"
           "\"lat_p999_us\":%.2f,\"lat_max_us\":%.2f}\n",
           n, (unsigned long long)((tend - tstart) / 1000), errors, non2xx, reconnects, sum / (double)n / 1000.0,
           PCT(0), PCT(50), PCT(90), PCT(99), PCT(99.9), PCT(100));
    return 0;
}

// ---- sse mode ----------------------------------------------------------------------------------------------
static int run_sse(void) {
    FILE *out = outpath ? fopen(outpath, "wb") : NULL;
    if (outpath && !out) { perror(outpath); return 1; }
    int fd = dial();
    if (fd < 0) { perror("connect"); return 1; }
    resp_t r = {0};
    size_t ecap = 1024, ne = 0; long (*ev)[2] = malloc(ecap * sizeof *ev);
    uint64_t *evt = malloc(ecap * sizeof *evt);
    char *sse = NULL; size_t slen = 0, scap = 0, sscan = 0;   // de-chunked body, scan position for "\n\n"
    uint64_t bytes = 0;
    uint64_t t_send = now_ns();
    if (send_all(fd, req, reqlen) < 0) { perror("send"); return 1; }
    uint64_t t_head = 0, t_last = 0;
    int done = 0, status = 0;
    size_t cpos = 0; long chunk_left = -1;   // chunk decoder: bytes left in the current chunk (-1: reading a size line)
    while (!done) {
        if (fill(fd, &r) < 0) {   // EOF: complete only for a close-delimited body
            if (t_head && !r.chunked && r.clen < 0) done = 1;
            break;
        }
        uint64_t t = now_ns();
        t_last = t;
        if (!t_head) {
            if (!parse_head(&r)) continue;
            t_head = t; status = r.status; cpos = r.hend;
            if (status == 100) { memmove(r.buf, r.buf + r.hend, r.len - r.hend); r.len -= r.hend; t_head = 0; if (!parse_head(&r)) continue; t_head = t; status = r.status; cpos = r.hend; }
        }
        // de-chunk whatever is new
        size_t before = slen;
        for (;;) {
            const char *src; size_t take;
            if (!r.chunked) {
                src = r.buf + cpos; take = r.len - cpos;
                if (!take) break;
                cpos += take;
                if (r.clen >= 0 && bytes + take >= (uint64_t)r.clen) done = 1;
            } else if (chunk_left < 0) {
                char *crlf = memmem(r.buf + cpos, r.len - cpos, "\r\n", 2);
                if (!crlf) break;
                chunk_left = strtol(r.buf + cpos, NULL, 16);
                cpos = (size_t)(crlf - r.buf) + 2;
                if (chunk_left == 0) { done = 1; break; }
                continue;
            } else {
                size_t avail = r.len - cpos;
                if (chunk_left > 0) {
                    take = avail < (size_t)chunk_left ? avail : (size_t)chunk_left;
                    if (!take) break;
                    src = r.buf + cpos; cpos += take; chunk_left -= (long)take;
                } else {   // trailing CRLF of the chunk
                    if (avail < 2) break;
                    cpos += 2; chunk_left = -1;
                    continue;
                }
            }
            if (slen + take > scap) { scap = (slen + take) * 2; sse = realloc(sse, scap); }
            memcpy(sse + slen, src, take); slen += take; bytes += take;
            if (!r.chunked && done) break;
        }
        if (out && slen > before) fwrite(sse + before, 1, slen - before, out);
        // events completed by this recv
        for (;;) {
            char *e = memmem(sse + sscan, slen - sscan, "\n\n", 2);
            if (!e) break;
            long idx = -1;
            char *tok = memmem(sse + sscan, (size_t)(e - (sse + sscan)), "token", 5);
            if (tok) idx = strtol(tok + 5, NULL, 10);
            if (ne == ecap) { ecap *= 2; ev = realloc(ev, ecap * sizeof *ev); evt = realloc(evt, ecap * sizeof *evt); }
            ev[ne][0] = idx; evt[ne] = t; ne++;
            sscan = (size_t)(e - sse) + 2;
        }
        // keep the raw buffer small: drop what was consumed
        if (t_head && cpos > 0) { memmove(r.buf, r.buf + cpos, r.len - cpos); r.len -= cpos; r.hend = 0; cpos = 0; }
    }
    uint64_t t_end = now_ns();
    close(fd);
    if (out) fclose(out);
    printf("RESULT {\"status\":%d,\"complete\":%d,\"bytes\":%llu,\"t_send_ns\":%llu,\"t_headers_ns\":%llu,\"t_last_ns\":%llu,"
           "\"t_end_ns\":%llu,\"events\":[",
           status, done, (unsigned long long)bytes, (unsigned long long)t_send, (unsigned long long)t_head,
           (unsigned long long)t_last, (unsigned long long)t_end);
    for (size_t i = 0; i < ne; i++) printf("%s[%ld,%llu]", i ? "," : "", ev[i][0], (unsigned long long)evt[i]);
    printf("]}\n");
    return status == 200 && done ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) goto usage;
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--body")) body = v;
        else if (!strcmp(a, "--key")) key = *v ? v : NULL;
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--out")) outpath = v;
        else if (!strcmp(a, "--dump")) dumppath = v;
        else if (!strcmp(a, "--count")) count = atol(v);
        else goto usage;
        i++;
    }
    if (!port) goto usage;
    build_request();
    if (!strcmp(mode, "lat")) return run_lat();
    if (!strcmp(mode, "sse")) return run_sse();
usage:
    fprintf(stderr, "usage: client lat|sse --port P [--host H] [--path P] [--body JSON] [--key K] [--duration S] [--warmup S] [--out FILE] [--dump FILE] [--count N]\n");
    return 2;
}
