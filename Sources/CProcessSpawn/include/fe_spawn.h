#ifndef FE_SPAWN_H
#define FE_SPAWN_H
#include <sys/types.h>

/// Starts `path` with exactly `argv` and `envp`, in `cwd`, with the given
/// descriptors as its 0/1/2 and every other descriptor closed.
/// Returns 0 and the pid, or an errno value (exec failures included).
/// `extra_fd`, when not -1, becomes descriptor 3 of the child (the sandbox launcher's report pipe);
/// `exec_fd`, when not -1, becomes descriptor 4 (the verified plugin executable, run by fexecve).
int fe_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int stdin_fd, int stdout_fd, int stderr_fd, int extra_fd, int exec_fd, pid_t *pid_out);

/// Grows a pipe's kernel buffer (F_SETPIPE_SZ); returns the new size or -1.
int fe_set_pipe_size(int fd, int size);

/// pipe2(fds, O_CLOEXEC): both ends close on exec, so no other child inherits them.
int fe_pipe_cloexec(int fds[2]);

/// Sets or clears O_NONBLOCK; returns 0 or -1.
int fe_set_nonblocking(int fd, int on);
#endif
