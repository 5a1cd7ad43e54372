#include "sandbox.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void report(const struct sandbox_options *o, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    int fd = o->report_fd >= 0 ? o->report_fd : 2;
    // One write per line, so lines from the two processes never interleave.
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
}
