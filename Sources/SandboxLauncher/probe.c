#define _GNU_SOURCE
#include "sandbox.h"
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/// Tries `flags` in a throwaway child, so the probe changes nothing here.
static int can_unshare(int flags) {
    pid_t pid = fork();
    if (pid == 0) _exit(unshare(flags) == 0 ? 0 : 1);
    if (pid < 0) return 0;
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int probe(void) {
    const struct scmp_version *v = seccomp_version();
    int api = seccomp_api_get();
    printf("{\"seccomp\": %s, \"seccomp_api\": %d, \"libseccomp\": \"%u.%u.%u\", \"user_notification\": %s, "
           "\"no_new_privs\": %s, \"landlock_abi\": %d, \"user_namespace\": %s, \"network_namespace\": %s}\n",
           prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 ? "true" : "false", api,
           v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0,
           api >= 5 ? "true" : "false",
           prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0 ? "true" : "false",
           landlock_abi(),
           can_unshare(CLONE_NEWUSER) ? "true" : "false",
           can_unshare(CLONE_NEWUSER | CLONE_NEWNET) || can_unshare(CLONE_NEWNET) ? "true" : "false");
    return 0;
}

/// `--resolve NAME...`: the policy tools ask which system call names this libseccomp knows
/// (the same lookup the filter makes), so a typo is refused before it reaches a policy file.
int resolve_names(int count, char **names) {
    int unknown = 0;
    for (int i = 0; i < count; i++) {
        if (seccomp_syscall_resolve_name(names[i]) == __NR_SCMP_ERROR) {
            printf("%s\n", names[i]);
            unknown = 1;
        }
    }
    return unknown;
}
