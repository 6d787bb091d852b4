#pragma once
#include <sys/types.h>

// Starts `path` with `argv` (NULL-terminated), its standard input and output the given descriptors (-1: /dev/null),
// its standard error /dev/null, and every other descriptor closed in the child. Returns 0 and the child's pid, or
// an errno value. Foundation's Process is not used for this: on Linux (Swift 6.3.1) its run() reads past a buffer
// while listing /proc/self/fd and crashes now and then once a process has many descriptors open
// (swift-corelibs-foundation PR 5472) — a gateway serving many connections has.
int chorus_spawn(const char *path, char *const argv[], int stdin_fd, int stdout_fd, pid_t *pid);
// pipe2(fds, O_CLOEXEC), which Swift does not see (a GNU extension).
int chorus_pipe_cloexec(int fds[2]);
