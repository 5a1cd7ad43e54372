// fe-sandbox: the launcher every plugin is started through.
//
//   fe-sandbox [options] -- PLUGIN
//
// It forks. The child confines itself while it is still a small single-threaded
// C program (rlimits, new user and network namespaces, Landlock, no_new_privs,
// the seccomp allow-list) and then executes the plugin. The parent stays behind
// as a supervisor: it receives the seccomp notification of any call outside the
// allow-list, reports its name on the report descriptor, kills the plugin, and
// finally exits the way the plugin did. The coordinator only ever talks to the
// plugin through the inherited stdin/stdout.
#define _GNU_SOURCE
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void usage(void) {
    fprintf(stderr,
            "usage: fe-sandbox --resolve SYSCALL...   (prints the names libseccomp does not know; exit 1 if any)\n"
            "       fe-sandbox [--probe] [--allow SYSCALL[:ARG=VALUE]]... [--read PATH]... [--exec PATH]...\n"
            "                  [--rlimit as|cpu|nofile|fsize|nproc=N]... [--require landlock|userns|netns]...\n"
            "                  [--report-fd N] [--exec-fd N] [--shared-fd N] -- PLUGIN\n"
            "       fe-sandbox --supervise-only [--report-fd N] [--shared-fd N] -- PLUGIN\n"
            "                  (no confinement: the plugin only dies with the coordinator; for --no-sandbox)\n");
    exit(EXIT_SANDBOX_SETUP);
}

static uint64_t parse_u64(const char *s) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') usage();
    return (uint64_t)v;
}

static void parse_rule(struct sandbox_options *o, char *spec) {
    if (o->rule_count >= MAX_RULES) usage();
    struct syscall_rule *r = &o->rules[o->rule_count++];
    r->arg = -1;
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = '\0';
        char *eq = strchr(colon + 1, '=');
        if (!eq) usage();
        *eq = '\0';
        r->arg = (int)parse_u64(colon + 1);
        if (r->arg > 5) usage();
        r->value = parse_u64(eq + 1);
    }
    r->name = spec;
}

static void parse(struct sandbox_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->rlimit_as = o->rlimit_cpu = o->rlimit_nofile = o->rlimit_fsize = o->rlimit_nproc = UINT64_MAX;
    o->report_fd = -1;
    o->exec_fd = -1;
    o->shared_fd = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (i + 1 >= argc) usage();
            o->plugin_argv = &argv[i + 1];
            return;
        }
        if (strcmp(a, "--probe") == 0) exit(probe());
        if (strcmp(a, "--supervise-only") == 0) { o->supervise_only = 1; continue; }
        if (strcmp(a, "--resolve") == 0) exit(resolve_names(argc - i - 1, &argv[i + 1]));
        if (i + 1 >= argc) usage();
        char *v = argv[++i];
        if (strcmp(a, "--allow") == 0) parse_rule(o, v);
        else if (strcmp(a, "--read") == 0) { if (o->read_count >= MAX_PATHS) usage(); o->read_paths[o->read_count++] = v; }
        else if (strcmp(a, "--exec") == 0) { if (o->exec_count >= MAX_PATHS) usage(); o->exec_paths[o->exec_count++] = v; }
        else if (strcmp(a, "--report-fd") == 0) o->report_fd = (int)parse_u64(v);
        else if (strcmp(a, "--exec-fd") == 0) o->exec_fd = (int)parse_u64(v);
        else if (strcmp(a, "--shared-fd") == 0) o->shared_fd = (int)parse_u64(v);
        else if (strcmp(a, "--require") == 0) {
            if (strcmp(v, "landlock") == 0) o->require_landlock = 1;
            else if (strcmp(v, "userns") == 0) o->require_userns = 1;
            else if (strcmp(v, "netns") == 0) o->require_netns = 1;
            else usage();
        } else if (strcmp(a, "--rlimit") == 0) {
            char *eq = strchr(v, '=');
            if (!eq) usage();
            *eq = '\0';
            uint64_t n = parse_u64(eq + 1);
            if (strcmp(v, "as") == 0) o->rlimit_as = n;
            else if (strcmp(v, "cpu") == 0) o->rlimit_cpu = n;
            else if (strcmp(v, "nofile") == 0) o->rlimit_nofile = n;
            else if (strcmp(v, "fsize") == 0) o->rlimit_fsize = n;
            else if (strcmp(v, "nproc") == 0) o->rlimit_nproc = n;
            else usage();
        } else usage();
    }
    usage();
}

/// Reports a missing mechanism; stops the launch when the policy requires it.
static void missing(const struct sandbox_options *o, int required, const char *mechanism, const char *why) {
    if (required) {
        report(o, "unavailable %s %s", mechanism, why);
        _exit(EXIT_SANDBOX_SETUP);
    }
    report(o, "weaker %s %s", mechanism, why);
}

static void set_limit(int resource, uint64_t value, const struct sandbox_options *o, const char *name) {
    if (value == UINT64_MAX) return;
    struct rlimit rl;
    if (resource == RLIMIT_CPU) {
        // The soft limit sends SIGXCPU, the hard one (a second later) SIGKILL.
        rl.rlim_cur = value;
        rl.rlim_max = value + 1;
    } else {
        rl.rlim_cur = rl.rlim_max = value;
    }
    if (setrlimit(resource, &rl) != 0) {
        report(o, "unavailable rlimit-%s %s", name, strerror(errno));
        _exit(EXIT_SANDBOX_SETUP);
    }
}

/// Everything the child does before the plugin runs. Returns only to execute it.
static void confine(const struct sandbox_options *o, pid_t supervisor, int sync_write, int ack_read) {
    char why[256];
    // Die with the supervisor; if it already died before this took effect, stop now.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != supervisor) _exit(EXIT_SANDBOX_SETUP);
    set_limit(RLIMIT_AS, o->rlimit_as, o, "as");
    set_limit(RLIMIT_CPU, o->rlimit_cpu, o, "cpu");
    set_limit(RLIMIT_NOFILE, o->rlimit_nofile, o, "nofile");
    set_limit(RLIMIT_FSIZE, o->rlimit_fsize, o, "fsize");
    set_limit(RLIMIT_NPROC, o->rlimit_nproc, o, "nproc");
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);

    // A user namespace drops every capability the launcher had on the host;
    // a network namespace leaves only a loopback that is down.
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
        int e = errno;
        snprintf(why, sizeof why, "unshare(CLONE_NEWUSER) failed: %s", strerror(e));
        missing(o, o->require_userns, "userns", why);
        if (unshare(CLONE_NEWNET) != 0) {
            snprintf(why, sizeof why, "unshare(CLONE_NEWNET) failed: %s", strerror(errno));
            missing(o, o->require_netns, "netns", why);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        report(o, "unavailable no_new_privs %s", strerror(errno));
        _exit(EXIT_SANDBOX_SETUP);
    }
    int abi = apply_landlock(o, why, sizeof why);
    if (abi < 0) { report(o, "unavailable landlock %s", why); _exit(EXIT_SANDBOX_SETUP); }
    if (abi == 0) missing(o, o->require_landlock, "landlock", why);
    else if (abi < 6) report(o, "weaker landlock-abi-%d signals and abstract sockets are not scoped", abi);

    const char *missing_call = missing_launcher_call(o);
    if (missing_call != NULL) {
        report(o, "policy the seccomp allow-list must allow '%s' (without conditions): the launcher itself calls it "
                  "after loading the filter", missing_call);
        _exit(EXIT_SANDBOX_SETUP);
    }
    int listener = load_seccomp(o, why, sizeof why);
    if (listener < 0) { report(o, "unavailable seccomp %s", why); _exit(EXIT_SANDBOX_SETUP); }

    // Hand the listener to the supervisor, wait until it holds its own copy, drop ours.
    ssize_t w = write(sync_write, &listener, sizeof listener);
    char ack;
    ssize_t r = read(ack_read, &ack, 1);
    (void)w; (void)r;
    close(listener);
    close(sync_write);
    close(ack_read);
    if (o->report_fd >= 0) close(o->report_fd);
}

int main(int argc, char **argv) {
    static struct sandbox_options o;
    parse(&o, argc, argv);

    int sync[2], ack[2];
    if (pipe2(sync, O_CLOEXEC) != 0 || pipe2(ack, O_CLOEXEC) != 0) {
        report(&o, "unavailable launcher pipe: %s", strerror(errno));
        return EXIT_SANDBOX_SETUP;
    }
    pid_t supervisor = getpid();
    pid_t child = fork();
    if (child < 0) {
        report(&o, "unavailable launcher fork: %s", strerror(errno));
        return EXIT_SANDBOX_SETUP;
    }
    if (child == 0) {
        close(sync[0]);
        close(ack[1]);
        if (o.supervise_only) {
            // Unconfined, but not orphaned: it dies with the supervisor, which dies with the coordinator.
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != supervisor) _exit(EXIT_SANDBOX_SETUP);
            close(sync[1]);
            close(ack[0]);
            if (o.report_fd >= 0) close(o.report_fd);
        } else {
            confine(&o, supervisor, sync[1], ack[0]);
        }
        // The shared tensor memory becomes descriptor 3, where the plugin looks for it (the
        // report pipe that was there is closed by now). dup3: allowed on every architecture.
        if (o.shared_fd >= 0 && o.shared_fd != 3) {
            if (dup3(o.shared_fd, 3, 0) == 3) close(o.shared_fd);
        }
        if (o.exec_fd >= 0) {
            // Run exactly the file the coordinator hashed; the descriptor closes in the plugin.
            fcntl(o.exec_fd, F_SETFD, FD_CLOEXEC);
            fexecve(o.exec_fd, o.plugin_argv, environ);
        } else {
            execve(o.plugin_argv[0], o.plugin_argv, environ);
        }
        fprintf(stderr, "fe-sandbox: cannot execute %s: %s\n", o.plugin_argv[0], strerror(errno));
        _exit(126);
    }

    // The supervisor: no business with the plugin's stdin, stdout, executable or memory.
    if (o.exec_fd >= 0) close(o.exec_fd);
    if (o.shared_fd >= 0) close(o.shared_fd);
    close(sync[1]);
    close(ack[0]);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); close(devnull); }

    int listener = -1, remote = -1;
    if (!o.supervise_only && read(sync[0], &remote, sizeof remote) == (ssize_t)sizeof remote) {
        int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
        if (pidfd >= 0) listener = (int)syscall(SYS_pidfd_getfd, pidfd, remote, 0);
        if (listener < 0) report(&o, "weaker seccomp-report forbidden calls fail with ENOSYS unnamed: %s", strerror(errno));
        if (pidfd >= 0) close(pidfd);
    }
    if (!o.supervise_only) {
        ssize_t w = write(ack[1], "k", 1);
        (void)w;
    }
    close(sync[0]);
    close(ack[1]);
    supervise(&o, child, listener);
}
