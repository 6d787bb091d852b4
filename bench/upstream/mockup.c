// mockup.c — a fast mock OpenAI upstream for the Chorus benchmarks.
//
// One file, no dependencies: epoll + timerfd, non-blocking sockets, HTTP/1.1 keep-alive, POST bodies
// (Content-Length or chunked, answers "Expect: 100-continue"), pipelined requests answered in order.
// Build: gcc -O2 -o mockup mockup.c      Run: ./mockup --port 18081 [--tsdir DIR] [--workers N]
//
// What it answers is chosen by the request body's "model" (so direct and via-Chorus calls send the same bytes):
//   "bench-d<MS>"          chat.completion JSON after MS milliseconds (bench-d0: at once)
//   "bench-sse-<N>-<MS>"   text/event-stream, chunked: N chat.completion.chunk events, the first at once and
//                          then one every MS ms on an absolute schedule, then "data: [DONE]"
//   anything else          JSON at once; with "stream": true, 8 SSE events at once
// The SSE bytes are deterministic (no timestamps in them), so a client can sha256 them. When the body carries
// "user": "<id>" (id: [A-Za-z0-9_-], <= 64 chars) and --tsdir is given, the CLOCK_MONOTONIC send time (ns) of
// every SSE event is written to DIR/<id>.ts, one per line, when the stream ends: the client subtracts them from
// its arrival times to get the one-way delay per chunk.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADER 65536
#define MAX_BODY (64 * 1024 * 1024)

enum { ST_READ, ST_WAIT };
enum { M_JSON, M_SSE };

typedef struct {
    int used, fd;
    uint32_t gen;
    char *rbuf; size_t rlen, rcap;
    char *wbuf; size_t wlen, woff, wcap;
    int state, close_after, sent_continue, epout;
    // pending work
    int mode, delay_ms, sse_n, sse_ms, sse_i;
    uint64_t sse_start;
    char model[96], user[72];
    uint64_t *ts;
} conn_t;

typedef struct { uint64_t due; int fd; uint32_t gen; } timer_t_;

static conn_t *conns; static int nconns;
static timer_t_ *heap; static size_t hlen, hcap;
static int ep, tfd, lfd;
static uint64_t armed = UINT64_MAX;
static const char *tsdir;

static uint64_t now_ns(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void hpush(uint64_t due, int fd, uint32_t gen) {
    if (hlen == hcap) { hcap = hcap ? hcap * 2 : 1024; heap = realloc(heap, hcap * sizeof *heap); }
    size_t i = hlen++;
    while (i && heap[(i - 1) / 2].due > due) { heap[i] = heap[(i - 1) / 2]; i = (i - 1) / 2; }
    heap[i] = (timer_t_){due, fd, gen};
}
static timer_t_ hpop(void) {
    timer_t_ top = heap[0], last = heap[--hlen];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= hlen) break;
        if (c + 1 < hlen && heap[c + 1].due < heap[c].due) c++;
        if (heap[c].due >= last.due) break;
        heap[i] = heap[c]; i = c;
    }
    if (hlen) heap[i] = last;
    return top;
}

static void conn_close(conn_t *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->rbuf); free(c->wbuf); free(c->ts);
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->gen = gen;
}

static void set_epout(conn_t *c, int on) {
    if (c->epout == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = c->fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->epout = on;
}

// returns -1 when the connection was closed
static int flush_out(conn_t *c) {
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) { c->woff += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { set_epout(c, 1); return 0; }
        conn_close(c); return -1;
    }
    c->woff = c->wlen = 0;
    set_epout(c, 0);
    if (c->close_after && c->state == ST_READ) { conn_close(c); return -1; }
    return 0;
}

static void out(conn_t *c, const char *p, size_t n) {
    if (c->wlen + n > c->wcap) {
        while (c->wlen + n > c->wcap) c->wcap = c->wcap ? c->wcap * 2 : 4096;
        c->wbuf = realloc(c->wbuf, c->wcap);
    }
    memcpy(c->wbuf + c->wlen, p, n); c->wlen += n;
}

static void respond_json(conn_t *c) {
    char body[512], head[256];
    int bl = snprintf(body, sizeof body,
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"%s\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello from the bench upstream.\"},"
        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16}}",
        c->model);
    int hl = snprintf(head, sizeof head,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n",
        bl, c->close_after ? "Connection: close\r\n" : "");
    out(c, head, (size_t)hl); out(c, body, (size_t)bl);
}

static void write_ts(conn_t *c) {
    if (!c->ts) return;
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/%s.ts", tsdir, c->user);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    for (int i = 0; i < c->sse_i; i++) fprintf(f, "%llu\n", (unsigned long long)c->ts[i]);
    fclose(f);
    rename(tmp, path);
    free(c->ts); c->ts = NULL;
}

// sends the next SSE event (and the end when it was the last); returns 1 when the stream is over
static int sse_step(conn_t *c) {
    char ev[512], frame[560];
    int el = snprintf(ev, sizeof ev,
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
        "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token%05d \"},\"finish_reason\":null}]}\n\n",
        c->model, c->sse_i);
    int fl = snprintf(frame, sizeof frame, "%x\r\n%s\r\n", el, ev);
    out(c, frame, (size_t)fl);
    int last = c->sse_i + 1 >= c->sse_n;
    if (last) {
        static const char done[] = "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n";
        out(c, done, sizeof done - 1);
    }
    if (c->ts) c->ts[c->sse_i] = now_ns();
    c->sse_i++;
    return last;
}

static void process(conn_t *c);

static void start_sse(conn_t *c) {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    out(c, head, sizeof head - 1);
    if (tsdir && c->user[0]) c->ts = calloc((size_t)c->sse_n, sizeof(uint64_t));
    c->sse_start = now_ns();
    c->sse_i = 0;
    if (sse_step(c)) { write_ts(c); c->state = ST_READ; }
    else hpush(c->sse_start + (uint64_t)c->sse_ms * 1000000ull, c->fd, c->gen);
}

static void on_timer(conn_t *c) {
    if (c->state != ST_WAIT) return;
    if (c->mode == M_JSON) {
        respond_json(c);
        c->state = ST_READ;
    } else {
        if (sse_step(c)) { write_ts(c); c->state = ST_READ; }
        else hpush(c->sse_start + (uint64_t)c->sse_i * (uint64_t)c->sse_ms * 1000000ull, c->fd, c->gen);
    }
    if (flush_out(c) < 0) return;
    if (c->state == ST_READ) process(c);
}

static const char *memmem_ci(const char *h, size_t hl, const char *n) {
    size_t nl = strlen(n);
    for (size_t i = 0; i + nl <= hl; i++) if (!strncasecmp(h + i, n, nl)) return h + i;
    return NULL;
}

// copies the JSON string value of "key" (first occurrence) into dst; returns 1 when found
static int json_str(const char *b, size_t bl, const char *key, char *dst, size_t cap, int idchars) {
    const char *p = memmem(b, bl, key, strlen(key)), *e = b + bl;
    if (!p) return 0;
    p += strlen(key);
    while (p < e && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p >= e || *p != '"') return 0;
    p++;
    size_t n = 0;
    while (p < e && *p != '"' && n + 1 < cap) {
        char ch = *p++;
        if (idchars && !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) return 0;
        if (ch == '\\') return 0;
        dst[n++] = ch;
    }
    dst[n] = 0;
    return 1;
}

static void handle(conn_t *c, const char *body, size_t bl) {
    c->model[0] = c->user[0] = 0;
    if (!json_str(body, bl, "\"model\"", c->model, sizeof c->model, 0)) strcpy(c->model, "bench-model");
    json_str(body, bl, "\"user\"", c->user, sizeof c->user, 1);
    int stream = 0;
    const char *s = memmem(body, bl, "\"stream\"", 8);
    if (s) {
        s += 8;
        while (s < body + bl && (*s == ' ' || *s == ':')) s++;
        stream = s < body + bl && *s == 't';
    }
    int n, ms;
    if (sscanf(c->model, "bench-sse-%d-%d", &n, &ms) == 2 && n > 0 && ms >= 0) {
        c->mode = M_SSE; c->sse_n = n; c->sse_ms = ms;
    } else if (stream) {
        c->mode = M_SSE; c->sse_n = 8; c->sse_ms = 0;
    } else {
        c->mode = M_JSON;
        c->delay_ms = sscanf(c->model, "bench-d%d", &ms) == 1 && ms > 0 ? ms : 0;
    }
    c->state = ST_WAIT;
    if (c->mode == M_SSE) start_sse(c);
    else if (c->delay_ms == 0) { respond_json(c); c->state = ST_READ; }
    else hpush(now_ns() + (uint64_t)c->delay_ms * 1000000ull, c->fd, c->gen);
}

// decodes a complete chunked body starting at p; returns bytes consumed, 0 when incomplete, -1 on error
static long dechunk(const char *p, size_t n, char **outb, size_t *outl) {
    size_t i = 0, ol = 0; char *o = NULL;
    for (;;) {
        const char *crlf = memmem(p + i, n - i, "\r\n", 2);
        if (!crlf) { free(o); return 0; }
        size_t sz = strtoul(p + i, NULL, 16);
        size_t data = (size_t)(crlf - p) + 2;
        if (sz == 0) {
            const char *end = memmem(p + data - 2, n - (data - 2), "\r\n\r\n", 4);
            if (!end) { free(o); return 0; }
            *outb = o; *outl = ol;
            return (long)((end - p) + 4);
        }
        if (sz > MAX_BODY || data + sz + 2 > n) { free(o); return sz > MAX_BODY ? -1 : 0; }
        o = realloc(o, ol + sz + 1); memcpy(o + ol, p + data, sz); ol += sz;
        i = data + sz + 2;
    }
}

static void process(conn_t *c) {
    while (c->state == ST_READ && c->rlen > 0 && c->used) {
        char *hend = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
        if (!hend) {
            if (c->rlen > MAX_HEADER) { conn_close(c); }
            return;
        }
        size_t hl = (size_t)(hend - c->rbuf) + 4;
        const char *sp = memchr(c->rbuf, ' ', hl);
        int is_post = !strncmp(c->rbuf, "POST ", 5);
        int http10 = memmem_ci(c->rbuf, hl, " HTTP/1.0\r\n") != NULL;
        c->close_after = http10 || memmem_ci(c->rbuf, hl, "\r\nConnection: close") != NULL;
        const char *cl = memmem_ci(c->rbuf, hl, "\r\nContent-Length:");
        int chunked = memmem_ci(c->rbuf, hl, "\r\nTransfer-Encoding: chunked") != NULL;
        int expect = memmem_ci(c->rbuf, hl, "\r\nExpect: 100-continue") != NULL;
        (void)sp;
        size_t consumed;
        char *body = NULL; size_t bl = 0; int own = 0;
        if (chunked) {
            long k = dechunk(c->rbuf + hl, c->rlen - hl, &body, &bl);
            if (k < 0) { conn_close(c); return; }
            if (k == 0) goto need_more;
            own = 1; consumed = hl + (size_t)k;
        } else {
            size_t len = cl ? strtoul(cl + 17, NULL, 10) : 0;
            if (len > MAX_BODY) { conn_close(c); return; }
            if (c->rlen < hl + len) goto need_more;
            body = c->rbuf + hl; bl = len; consumed = hl + len;
        }
        c->sent_continue = 0;
        if (is_post) handle(c, body ? body : "", bl);
        else {
            static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
            out(c, ok, sizeof ok - 1);
        }
        if (own) free(body);
        memmove(c->rbuf, c->rbuf + consumed, c->rlen - consumed);
        c->rlen -= consumed;
        if (flush_out(c) < 0) return;
        continue;
    need_more:
        if (expect && !c->sent_continue) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            out(c, cont, sizeof cont - 1); c->sent_continue = 1;
            flush_out(c);
        }
        return;
    }
}

static void on_read(conn_t *c) {
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            c->rcap = c->rcap ? c->rcap * 2 : 16384;
            if (c->rcap > MAX_BODY + MAX_HEADER) { conn_close(c); return; }
            c->rbuf = realloc(c->rbuf, c->rcap);
        }
        size_t space = c->rcap - c->rlen;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, space, 0);
        if (n > 0) { c->rlen += (size_t)n; if ((size_t)n < space) break; continue; }  // short read: drained
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        conn_close(c); return;   // EOF or error: a pending delayed answer is dropped (its timer sees a new gen)
    }
    process(c);
}

static void arm(void) {
    uint64_t due = hlen ? heap[0].due : 0;
    if (due == armed) return;
    struct itimerspec its = {0};
    if (due) { its.it_value.tv_sec = (time_t)(due / 1000000000ull); its.it_value.tv_nsec = (long)(due % 1000000000ull); }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    armed = due;
}

static void run_due(void) {
    uint64_t t = now_ns();
    while (hlen && heap[0].due <= t) {
        timer_t_ e = hpop();
        if (e.fd < nconns && conns[e.fd].used && conns[e.fd].gen == e.gen) on_timer(&conns[e.fd]);
    }
}

static void serve(void) {
    ep = epoll_create1(0);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = tfd; epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    struct epoll_event evs[512];
    for (;;) {
        arm();
        int n = epoll_wait(ep, evs, 512, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); exit(1); }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    if (cfd >= nconns) { close(cfd); continue; }
                    int one = 1; setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn_t *c = &conns[cfd];
                    uint32_t gen = c->gen;
                    memset(c, 0, sizeof *c);
                    c->used = 1; c->fd = cfd; c->gen = gen + 1;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
            } else if (fd == tfd) {
                uint64_t x; ssize_t r = read(tfd, &x, sizeof x); (void)r;
                armed = UINT64_MAX;
                run_due();
            } else if (fd < nconns && conns[fd].used) {
                conn_t *c = &conns[fd];
                if (evs[i].events & EPOLLOUT) { if (flush_out(c) < 0) continue; if (c->state == ST_READ) process(c); }
                if (!c->used) continue;
                if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_read(c);
            }
        }
        run_due();
    }
}

int main(int argc, char **argv) {
    int port = 18081, workers = 1;
    const char *host = "127.0.0.1";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--tsdir") && i + 1 < argc) tsdir = argv[++i];
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers = atoi(argv[++i]);
        else { fprintf(stderr, "usage: %s [--host H] [--port P] [--tsdir DIR] [--workers N]\n", argv[0]); return 2; }
    }
    signal(SIGPIPE, SIG_IGN);
    nconns = 65536;
    conns = calloc((size_t)nconns, sizeof *conns);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 1; }
    if (listen(lfd, 4096) < 0) { perror("listen"); return 1; }
    fprintf(stderr, "mockup: listening on %s:%d (%d worker%s)\n", host, port, workers, workers > 1 ? "s" : "");
    for (int w = 1; w < workers; w++) if (fork() == 0) { serve(); return 0; }
    serve();
    return 0;
}
