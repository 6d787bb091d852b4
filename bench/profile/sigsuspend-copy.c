// sigsuspend-copy.c — LD_PRELOAD shim for profiling Swift programs under valgrind 3.19 (Debian 12).
//
// libdispatch's dispatch_main() (the main thread of a Swift program with an async main) ends in
// sigsuspend(&mask) with `mask` in read-only data. Valgrind 3.19's rt_sigsuspend wrapper edits the mask in place
// (it removes its own signal from it), writes to that read-only page and dies with "VALGRIND INTERNAL ERROR:
// Valgrind received a signal 11 ... sys_rt_sigsuspend". This sigsuspend copies the mask to the stack first.
// Build: gcc -O2 -shared -fPIC -o sigsuspend-copy.so sigsuspend-copy.c
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
