#define _GNU_SOURCE
// Landlock through raw system calls: Debian 12's headers predate ABI 4-6, so the
// newer constants are spelt out here.
#include "sandbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define FE_LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#define FE_LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define FE_LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define FE_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define FE_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

// The ruleset attribute as of ABI 6 (the kernel accepts a shorter size from older callers).
struct fe_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

int landlock_abi(void) {
    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : (int)abi;
}

static int add_path(int ruleset, const char *path, uint64_t access, uint64_t handled) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;   // a path this machine lacks grants nothing
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
        // Rights that only make sense on directories cannot be granted on files.
        access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE
                | LANDLOCK_ACCESS_FS_TRUNCATE | FE_LANDLOCK_ACCESS_FS_IOCTL_DEV;
    }
    struct landlock_path_beneath_attr rule = { .allowed_access = access & handled, .parent_fd = fd };
    long rc = syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    close(fd);
    return rc < 0 ? -1 : 0;
}

int apply_landlock(const struct sandbox_options *o, char *why, size_t why_len) {
    int abi = landlock_abi();
    if (abi <= 0) {
        snprintf(why, why_len, "the kernel has no Landlock (%s)", strerror(errno));
        return 0;
    }
    uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;   // every ABI 1 right
    if (abi >= 2) fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) fs |= FE_LANDLOCK_ACCESS_FS_IOCTL_DEV;
    struct fe_ruleset_attr attr = { .handled_access_fs = fs };
    size_t size = sizeof(uint64_t);
    if (abi >= 4) { attr.handled_access_net = FE_LANDLOCK_ACCESS_NET_BIND_TCP | FE_LANDLOCK_ACCESS_NET_CONNECT_TCP; size = 2 * sizeof(uint64_t); }
    if (abi >= 6) { attr.scoped = FE_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | FE_LANDLOCK_SCOPE_SIGNAL; size = sizeof attr; }

    int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0) {
        snprintf(why, why_len, "landlock_create_ruleset failed (%s)", strerror(errno));
        return -1;
    }
    const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
    for (int i = 0; i < o->read_count; i++) {
        if (add_path(ruleset, o->read_paths[i], read, fs) < 0) {
            snprintf(why, why_len, "cannot add read rule for %s (%s)", o->read_paths[i], strerror(errno));
            close(ruleset);
            return -1;
        }
    }
    for (int i = 0; i < o->exec_count; i++) {
        if (add_path(ruleset, o->exec_paths[i], LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE, fs) < 0) {
            snprintf(why, why_len, "cannot add execute rule for %s (%s)", o->exec_paths[i], strerror(errno));
            close(ruleset);
            return -1;
        }
    }
    // No network rules: with ABI 4 every TCP bind and connect is refused.
    long rc = syscall(__NR_landlock_restrict_self, ruleset, 0);
    close(ruleset);
    if (rc < 0) {
        snprintf(why, why_len, "landlock_restrict_self failed (%s)", strerror(errno));
        return -1;
    }
    return abi;
}
