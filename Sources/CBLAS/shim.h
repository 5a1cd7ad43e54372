// OpenBLAS's CBLAS interface (Debian: libopenblas-serial-dev, single-threaded
// on purpose: plugins run with no new threads or processes).
#include <cblas.h>
// OpenBLAS extension; a no-op for the serial build, kept so a threaded build
// installed instead is still pinned to one thread.
void openblas_set_num_threads(int num_threads);
// LAPACK (in the same OpenBLAS library): the symmetric eigensolver behind PCA.
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
             const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m,
             double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork,
             const int *liwork, int *info);
