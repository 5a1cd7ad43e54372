#define _GNU_SOURCE
#include "fe_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FE_MAX_INHERITED 3

/// A close-on-exec copy of `fd` numbered above every target (0-5), or -1 for -1.
static int lift(int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10); }

static void drop(int fd) { if (fd >= 0) close(fd); }

static int spawn_mapped(const char *path, char *const argv[], char *const envp[], const char *cwd,
                        int stdin_fd, int stdout_fd, int stderr_fd, const int *inherited, int count, pid_t *pid_out) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    // dup2 clears FD_CLOEXEC on the copies; closefrom then drops everything else,
    // so a plugin never inherits the coordinator's files, sockets or database.
    int last = 2;  // the highest descriptor the child keeps
    if ((rc = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0)) == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    for (int i = 0; rc == 0 && i < count; i++) {
        if (inherited[i] < 0) continue;
        rc = posix_spawn_file_actions_adddup2(&actions, inherited[i], 3 + i);
        last = 3 + i;
    }
    if (rc == 0 && (rc = posix_spawn_file_actions_addclosefrom_np(&actions, last + 1)) == 0 &&
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
             int stdin_fd, int stdout_fd, int stderr_fd, const int *inherited, int inherited_count, pid_t *pid_out) {
    if (inherited_count < 0 || inherited_count > FE_MAX_INHERITED) return EINVAL;
    // The dup2 actions run in order, so a source numbered like an earlier target
    // (the executable on 3, say) would be overwritten before it is moved. Sources
    // above every target make the mapping order-free.
    errno = 0;
    int in = lift(stdin_fd), out = lift(stdout_fd), err = lift(stderr_fd);
    int lifted[FE_MAX_INHERITED] = { -1, -1, -1 };
    int ok = in >= 0 && out >= 0 && err >= 0;
    for (int i = 0; i < inherited_count; i++) {
        lifted[i] = lift(inherited[i]);
        if (inherited[i] >= 0 && lifted[i] < 0) ok = 0;
    }
    int rc = ok ? spawn_mapped(path, argv, envp, cwd, in, out, err, lifted, inherited_count, pid_out) : (errno ? errno : EBADF);
    drop(in); drop(out); drop(err);
    for (int i = 0; i < inherited_count; i++) drop(lifted[i]);
    return rc;
}

int fe_shared_memory(long bytes) {
    // MFD_NOEXEC_SEAL (Linux 6.3): the memory can never be made executable; older kernels refuse the flag.
    int fd = (int)syscall(SYS_memfd_create, "fe-tensors", MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x0008U);
    if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_memfd_create, "fe-tensors", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, bytes) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int fe_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

int fe_set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

int fe_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
