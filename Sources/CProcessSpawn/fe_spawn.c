#define _GNU_SOURCE
#include "fe_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

/// A close-on-exec copy of `fd` numbered above every target (0-4), or -1 for -1.
static int lift(int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10); }

static void drop(int fd) { if (fd >= 0) close(fd); }

static int spawn_mapped(const char *path, char *const argv[], char *const envp[], const char *cwd,
                        int stdin_fd, int stdout_fd, int stderr_fd, int extra_fd, int exec_fd, pid_t *pid_out) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    // dup2 clears FD_CLOEXEC on the copies; closefrom then drops everything else,
    // so a plugin never inherits the coordinator's files, sockets or database.
    if ((rc = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2)) == 0 &&
        (extra_fd < 0 || (rc = posix_spawn_file_actions_adddup2(&actions, extra_fd, 3)) == 0) &&
        (exec_fd < 0 || (rc = posix_spawn_file_actions_adddup2(&actions, exec_fd, 4)) == 0) &&
        (rc = posix_spawn_file_actions_addclosefrom_np(&actions, exec_fd >= 0 ? 5 : extra_fd >= 0 ? 4 : 3)) == 0 &&
        (cwd == NULL || (rc = posix_spawn_file_actions_addchdir_np(&actions, cwd)) == 0)) {
        posix_spawnattr_t attr;
        if ((rc = posix_spawnattr_init(&attr)) == 0) {
            // A fresh process group: signals aimed at the coordinator's terminal
            // (Ctrl-C) reach the coordinator, which then shuts plugins down in order.
            posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
            posix_spawnattr_setpgroup(&attr, 0);
            sigset_t none, all;
            sigemptyset(&none);
            sigfillset(&all);
            posix_spawnattr_setsigmask(&attr, &none);
            posix_spawnattr_setsigdefault(&attr, &all);
            rc = posix_spawn(pid_out, path, &actions, &attr, argv, envp);
            posix_spawnattr_destroy(&attr);
        }
    }
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int fe_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int stdin_fd, int stdout_fd, int stderr_fd, int extra_fd, int exec_fd, pid_t *pid_out) {
    // The dup2 actions run in order, so a source numbered like an earlier target
    // (the executable on 3, say) would be overwritten before it is moved. Sources
    // above every target make the mapping order-free.
    errno = 0;
    int in = lift(stdin_fd), out = lift(stdout_fd), err = lift(stderr_fd);
    int extra = lift(extra_fd), exe = lift(exec_fd);
    int rc;
    if (in < 0 || out < 0 || err < 0 || (extra_fd >= 0 && extra < 0) || (exec_fd >= 0 && exe < 0))
        rc = errno ? errno : EBADF;
    else
        rc = spawn_mapped(path, argv, envp, cwd, in, out, err, extra, exe, pid_out);
    drop(in); drop(out); drop(err); drop(extra); drop(exe);
    return rc;
}

int fe_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

int fe_set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

int fe_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
