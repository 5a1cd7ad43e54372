#define _GNU_SOURCE
#include "sandbox.h"
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// Ends this process the way the plugin ended, so the coordinator sees the
/// plugin's own exit status or signal.
static void mirror(int status, int violation) __attribute__((noreturn));
static void mirror(int status, int violation) {
    int sig = 0;
    if (violation) sig = SIGSYS;
    else if (WIFSIGNALED(status)) sig = WTERMSIG(status);
    if (sig != 0) {
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        kill(getpid(), sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

void supervise(const struct sandbox_options *o, pid_t child, int listener) {
    int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    if (listener >= 0 && seccomp_notify_alloc(&req, &resp) != 0) listener = -1;
    int violation = 0;

    for (;;) {
        // The report pipe's read end is the coordinator's: when the coordinator dies, however
        // (even by SIGKILL), the write end polls as an error, and the plugin goes with it.
        // (PR_SET_PDEATHSIG would not do: it fires when the coordinator's spawning thread ends.)
        struct pollfd fds[3] = {
            { .fd = pidfd, .events = POLLIN }, { .fd = o->report_fd, .events = 0 }, { .fd = listener, .events = POLLIN }
        };
        int n = poll(fds, listener >= 0 ? 3 : 2, pidfd >= 0 ? -1 : 100);
        if (n < 0 && errno != EINTR) break;
        if (o->report_fd >= 0 && (fds[1].revents & (POLLERR | POLLHUP))) {
            kill(child, SIGKILL);
            int status = 0;
            waitpid(child, &status, 0);
            _exit(EXIT_SANDBOX_SETUP);
        }
        if (listener >= 0 && (fds[2].revents & POLLIN)) {
            memset(req, 0, sizeof *req);
            if (seccomp_notify_receive(listener, req) == 0) {
                char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
                report(o, "violation %s", name ? name : "unknown");
                free(name);
                violation = 1;
                // The call never completes: the plugin dies inside it.
                kill(child, SIGKILL);
            }
        }
        int status;
        pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child) mirror(status, violation);
        if (r < 0 && errno == ECHILD) break;
    }
    int status = 0;
    waitpid(child, &status, 0);
    mirror(status, violation);
}
