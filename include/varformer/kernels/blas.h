/*
 * blas.h: OpenBLAS, opened lazily inside a backend (never in the postmaster: its library
 * constructor starts threads, and a forked child would inherit a pool that is not there).
 */
#ifndef VARFORMER_BLAS_H
#define VARFORMER_BLAS_H

#include <cblas.h>

#include "varformer/common/error.h"

/*
 * dlopen()s OpenBLAS on first call with nthreads threads (OPENBLAS_NUM_THREADS is set before
 * the library's constructor runs, so one thread never creates a pool); later calls only
 * resize the pool when nthreads changed (the varformer.blas_threads setting).
 */
int			vf_blas_init(int nthreads, VfError *err);

/* C = alpha * op(A) op(B) + beta * C, row-major, as cblas_sgemm. vf_blas_init first. */
void		vf_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
					 float alpha, const float *a, int lda, const float *b, int ldb,
					 float beta, float *c, int ldc);

#endif
