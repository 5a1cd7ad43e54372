// OpenBLAS's CBLAS interface (Debian: libopenblas-serial-dev, single-threaded
// on purpose: plugins run with no new threads or processes).
#include <cblas.h>
// OpenBLAS extension; a no-op for the serial build, kept so a threaded build
// installed instead is still pinned to one thread.
void openblas_set_num_threads(int num_threads);
