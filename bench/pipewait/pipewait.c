/* One libcurl multi handle set up like ChorusUpstream's (HTTP_VERSION_2TLS, CURLPIPE_MULTIPLEX), PIPEWAIT 0 or 1.
 * "hang": one request to /hang first (driven for 300 ms so it is on the wire), then 16 requests to /ok.
 * "burst": 16 requests to /ok at once on a cold handle.
 * Prints how long the 16 took (slowest, median) and how many connections they opened. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CALLS 16

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static size_t sink(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }

static CURL *make(const char *base, const char *path, long pipewait, long connect_ms) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, pipewait);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);  /* self-signed test certificate */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 8000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, "{}");
    return e;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s BASE_URL PIPEWAIT hang|burst [CONNECT_TIMEOUT_MS]\n", argv[0]); return 2; }
    const char *base = argv[1];
    long pipewait = atol(argv[2]);
    int hang = strcmp(argv[3], "hang") == 0;
    long connect_ms = argc > 4 ? atol(argv[4]) : 3000;
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    int running = 0;
    CURL *hanging = NULL;
    if (hang) {
        hanging = make(base, "/hang", pipewait, connect_ms);
        curl_multi_add_handle(multi, hanging);
        double until = now_ms() + 300;
        while (now_ms() < until) {
            curl_multi_perform(multi, &running);
            curl_multi_poll(multi, NULL, 0, 20, NULL);
        }
    }
    CURL *calls[CALLS];
    double start = now_ms(), took[CALLS];
    int done = 0, ok = 0;
    long connects = 0;
    for (int i = 0; i < CALLS; i++) {
        calls[i] = make(base, "/ok", pipewait, connect_ms);
        took[i] = -1;
        curl_multi_add_handle(multi, calls[i]);
    }
    while (done < CALLS && now_ms() - start < 10000) {
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            for (int i = 0; i < CALLS; i++) {
                if (m->easy_handle != calls[i]) continue;
                long status = 0, n = 0;
                curl_easy_getinfo(calls[i], CURLINFO_RESPONSE_CODE, &status);
                curl_easy_getinfo(calls[i], CURLINFO_NUM_CONNECTS, &n);
                took[i] = now_ms() - start;
                connects += n;
                if (m->data.result == CURLE_OK && status == 200) ok++;
                done++;
            }
        }
        curl_multi_poll(multi, NULL, 0, 20, NULL);
    }
    qsort(took, CALLS, sizeof took[0], cmp);
    printf("%-40s PIPEWAIT=%ld %-5s  16 calls: %d ok, slowest %7.1f ms, median %7.1f ms, %2ld new connections\n",
           base, pipewait, argv[3], ok, took[CALLS - 1], took[CALLS / 2], connects);
    for (int i = 0; i < CALLS; i++) { curl_multi_remove_handle(multi, calls[i]); curl_easy_cleanup(calls[i]); }
    if (hanging) { curl_multi_remove_handle(multi, hanging); curl_easy_cleanup(hanging); }
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return 0;
}
