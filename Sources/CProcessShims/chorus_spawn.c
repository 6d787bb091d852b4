#define _GNU_SOURCE
#include "chorus_spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

int chorus_spawn(const char *path, char *const argv[], int stdin_fd, int stdout_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    if (stdin_fd >= 0) result = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    else result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (result == 0) {
        if (stdout_fd >= 0) result = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
        else result = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    }
    if (result == 0) result = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (result == 0) result = posix_spawn(pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}

int chorus_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
