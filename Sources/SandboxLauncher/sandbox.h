// fe-sandbox: confines itself, then runs a plugin. See docs/SECURITY.md.
#ifndef FE_SANDBOX_H
#define FE_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#define MAX_RULES 512
#define MAX_PATHS 64

/// Exit status when the sandbox itself cannot be set up (never a plugin's own status).
#define EXIT_SANDBOX_SETUP 125

/// A seccomp allow rule: a system call, optionally only when one argument equals a value.
struct syscall_rule {
    const char *name;
    int arg;            // -1: any arguments
    uint64_t value;
};

struct sandbox_options {
    struct syscall_rule rules[MAX_RULES];
    int rule_count;
    const char *read_paths[MAX_PATHS];
    int read_count;
    const char *exec_paths[MAX_PATHS];
    int exec_count;
    // rlimits; UINT64_MAX: leave as is.
    uint64_t rlimit_as, rlimit_cpu, rlimit_nofile, rlimit_fsize, rlimit_nproc;
    // Mechanisms the policy requires; a missing one stops the launch unless allowed weaker.
    int require_landlock, require_userns, require_netns;
    int report_fd;      // where reports go (the coordinator's pipe), -1: stderr
    int exec_fd;        // the verified plugin executable, executed by descriptor; -1: by path
    int shared_fd;      // the shared tensor memory, handed to the plugin as descriptor 3; -1: none
    int supervise_only; // --no-sandbox: no confinement, only dying with the coordinator
    char *const *plugin_argv;
};

/// Writes one report line ("violation socket", "weaker landlock ...") to the coordinator.
void report(const struct sandbox_options *o, const char *fmt, ...);

/// Landlock: read-only access beneath read_paths, execute only exec_paths, no TCP,
/// no signals or abstract sockets outside the sandbox. Returns the ABI used, 0 if
/// unavailable, -1 on error.
int apply_landlock(const struct sandbox_options *o, char *why, size_t why_len);

/// The first system call the launcher itself makes after loading the filter that the rules
/// do not allow unconditionally, or NULL when they allow all of them.
const char *missing_launcher_call(const struct sandbox_options *o);

/// Loads the seccomp allow-list with user notification as the default action.
/// Returns the listener descriptor, or -1 (why says why).
int load_seccomp(const struct sandbox_options *o, char *why, size_t why_len);

/// The parent's loop: reports and kills the child on a forbidden call, then
/// ends the way the child ended. Never returns.
void supervise(const struct sandbox_options *o, pid_t child, int listener) __attribute__((noreturn));

/// Prints the mechanisms this kernel offers as one JSON object.
int probe(void);

/// Prints the system call names libseccomp does not know, one a line; returns 1 if any.
int resolve_names(int count, char **names);

/// Landlock ABI version of the running kernel, 0 when unavailable.
int landlock_abi(void);

#endif
