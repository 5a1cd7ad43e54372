#ifndef FE_SPAWN_H
#define FE_SPAWN_H
#include <sys/types.h>

/// Starts `path` with exactly `argv` and `envp`, in `cwd`, with the given
/// descriptors as its 0/1/2 and every other descriptor closed.
/// Returns 0 and the pid, or an errno value (exec failures included).
/// `inherited[i]`, when not -1, becomes descriptor 3 + i of the child (at most 3 of them):
/// for the sandbox launcher its report pipe, the verified plugin executable (run by fexecve)
/// and the shared tensor memory; for a plugin run directly, the shared tensor memory.
int fe_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int stdin_fd, int stdout_fd, int stderr_fd, const int *inherited, int inherited_count, pid_t *pid_out);

/// A close-on-exec memfd of `bytes` bytes, sealed so that nobody can resize it (or add seals),
/// for the shared_memory tensor transport. Returns the descriptor, or -1 with errno set.
int fe_shared_memory(long bytes);

/// Grows a pipe's kernel buffer (F_SETPIPE_SZ); returns the new size or -1.
int fe_set_pipe_size(int fd, int size);

/// pipe2(fds, O_CLOEXEC): both ends close on exec, so no other child inherits them.
int fe_pipe_cloexec(int fds[2]);

/// Sets or clears O_NONBLOCK; returns 0 or -1.
int fe_set_nonblocking(int fd, int on);
#endif
