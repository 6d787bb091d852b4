#pragma once

// Names the calling OS thread (Linux allows 15 characters; longer names are cut). Foundation's Thread.name does
// not always reach the OS thread, and named threads make `top -H` and debuggers readable. Swift cannot call
// pthread_setname_np itself (glibc declares it only under _GNU_SOURCE). This target includes nothing but
// pthread.h, so the HTTP client and the media target can both use it without seeing each other's libraries.
void chorus_set_thread_name(const char *name);
