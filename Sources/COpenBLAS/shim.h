#ifndef EARSHOT_COPENBLAS_SHIM_H
#define EARSHOT_COPENBLAS_SHIM_H

#include <cblas.h>

/* OpenBLAS thread control (also in OpenBLAS's cblas.h; repeated so other CBLAS headers work too). */
void openblas_set_num_threads(int num_threads);

/* LAPACK (Fortran ABI, exported by libopenblas): symmetric eigen-decomposition, divide and conquer. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);

#endif
