#define _GNU_SOURCE
#include "chorus_thread.h"
#include <pthread.h>
#include <stdio.h>

void chorus_set_thread_name(const char *name) {
    char truncated[16];
    snprintf(truncated, sizeof(truncated), "%s", name == NULL ? "" : name);
#if defined(__APPLE__)
    pthread_setname_np(truncated);
#else
    pthread_setname_np(pthread_self(), truncated);
#endif
}
