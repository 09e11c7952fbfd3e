/*
 * blas.c: OpenBLAS opened lazily, inside the process that computes (plain C).
 *
 * Linking libopenblas would run its constructor in the postmaster, which starts a thread
 * pool that forked backends inherit without the threads; so the library is dlopen()ed on
 * first use, after OPENBLAS_NUM_THREADS is set, which keeps a one-thread configuration
 * from ever creating a pool.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "varformer/kernels/blas.h"

typedef void (*sgemm_fn) (const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE,
						  const enum CBLAS_TRANSPOSE, const blasint, const blasint,
						  const blasint, const float, const float *, const blasint,
						  const float *, const blasint, const float, float *, const blasint);
typedef void (*set_threads_fn) (int);

static void *blas_handle;
static sgemm_fn blas_sgemm;
static set_threads_fn blas_set_threads;
static int	blas_threads;

/* Library names tried in order: Debian's runtime package ships the .so.0 name only. */
static const char *const blas_libs[] = {"libopenblas.so.0", "libopenblas.so"};

int
vf_blas_init(int nthreads, VfError *err)
{
	if (nthreads < 1)
		nthreads = 1;
	if (blas_handle == NULL)
	{
		char		buf[16];
		const char *dlerr = "not found";

		snprintf(buf, sizeof(buf), "%d", nthreads);
		setenv("OPENBLAS_NUM_THREADS", buf, 1);
		for (size_t i = 0; i < sizeof(blas_libs) / sizeof(blas_libs[0]); i++)
		{
			blas_handle = dlopen(blas_libs[i], RTLD_NOW | RTLD_LOCAL);
			if (blas_handle != NULL)
				break;
			dlerr = dlerror();
		}
		if (blas_handle == NULL)
		{
			vf_error(err, VF_ERR_UNSUPPORTED, "could not load OpenBLAS: %s", dlerr);
			vf_error_hint(err, "Install the libopenblas0 package.");
			return -1;
		}
		blas_sgemm = (sgemm_fn) dlsym(blas_handle, "cblas_sgemm");
		blas_set_threads = (set_threads_fn) dlsym(blas_handle, "openblas_set_num_threads");
		if (blas_sgemm == NULL)
		{
			dlclose(blas_handle);
			blas_handle = NULL;
			return vf_error(err, VF_ERR_UNSUPPORTED, "OpenBLAS library has no cblas_sgemm");
		}
		blas_threads = nthreads;
	}
	else if (nthreads != blas_threads && blas_set_threads != NULL)
	{
		/* the setting changed in this session: resize the pool (this process only) */
		blas_set_threads(nthreads);
		blas_threads = nthreads;
	}
	return 0;
}

void
vf_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
		 float alpha, const float *a, int lda, const float *b, int ldb,
		 float beta, float *c, int ldc)
{
	blas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
