#include "sandbox.h"
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

/// Whether the rules allow `name` whatever its arguments.
static int allows_unconditionally(const struct sandbox_options *o, const char *name) {
    for (int i = 0; i < o->rule_count; i++) {
        if (o->rules[i].arg < 0 && strcmp(o->rules[i].name, name) == 0) return 1;
    }
    return 0;
}

const char *missing_launcher_call(const struct sandbox_options *o) {
    // After loading the filter, the child hands the notification descriptor over (write),
    // waits for the supervisor (read), closes descriptors, moves the shared memory (dup3),
    // marks the executable close-on-exec (fcntl) and executes the plugin. A rule set without
    // one of these would leave the child waiting on a notification the supervisor cannot
    // receive yet: a hang, so it is refused before the filter is loaded.
    static const char *const needed[] = { "read", "write", "close", "dup3", "fcntl", "exit_group" };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        if (!allows_unconditionally(o, needed[i])) return needed[i];
    }
    const char *exec = o->exec_fd >= 0 ? "execveat" : "execve";
    return allows_unconditionally(o, exec) ? NULL : exec;
}

int load_seccomp(const struct sandbox_options *o, char *why, size_t why_len) {
    // Anything not allowed waits for the supervisor, which names it and kills the plugin.
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
    if (ctx == NULL) {
        snprintf(why, why_len, "seccomp_init failed");
        return -1;
    }
    for (int i = 0; i < o->rule_count; i++) {
        const struct syscall_rule *r = &o->rules[i];
        int nr = seccomp_syscall_resolve_name(r->name);
        if (nr == __NR_SCMP_ERROR) {
            snprintf(why, why_len, "unknown system call '%s' in the policy", r->name);
            seccomp_release(ctx);
            return -1;
        }
        int rc;
        if (r->arg >= 0) {
            struct scmp_arg_cmp cmp = { .arg = (unsigned)r->arg, .op = SCMP_CMP_EQ, .datum_a = r->value };
            rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
        } else {
            rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
        }
        if (rc < 0 && rc != -EEXIST) {
            snprintf(why, why_len, "cannot add seccomp rule for '%s' (%s)", r->name, strerror(-rc));
            seccomp_release(ctx);
            return -1;
        }
    }
    int rc = seccomp_load(ctx);
    if (rc < 0) {
        snprintf(why, why_len, "seccomp_load failed (%s)", strerror(-rc));
        seccomp_release(ctx);
        return -1;
    }
    int fd = seccomp_notify_fd(ctx);
    seccomp_release(ctx);
    if (fd < 0) snprintf(why, why_len, "no seccomp notification descriptor (%s)", strerror(-fd));
    return fd;
}
