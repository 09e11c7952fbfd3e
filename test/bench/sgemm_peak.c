/*
 * sgemm_peak.c: single-thread cblas_sgemm throughput on the encoder's own product shapes,
 * the ceiling the encoder's GFLOP/s is measured against. Links OpenBLAS directly (a
 * standalone program, not the server); run with OPENBLAS_NUM_THREADS=1.
 *
 *   sgemm_peak M N K   prints "sgemm_gflops G" (best of several runs)
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	int			m = argc > 3 ? atoi(argv[1]) : 1000,
				n = argc > 3 ? atoi(argv[2]) : 2048,
				k = argc > 3 ? atoi(argv[3]) : 512;
	float	   *a = malloc(sizeof(float) * m * k),
			   *b = malloc(sizeof(float) * n * k),
			   *c = malloc(sizeof(float) * m * n);
	double		best = 1e30;

	openblas_set_num_threads(1);
	for (long i = 0; i < (long) m * k; i++)
		a[i] = (float) ((i * 7919) % 1000) / 1000.0f - 0.5f;
	for (long i = 0; i < (long) n * k; i++)
		b[i] = (float) ((i * 104729) % 1000) / 1000.0f - 0.5f;
	for (int rep = 0; rep < 10; rep++)
	{
		double		t0 = now();

		/* x W^T with PyTorch-layout weights, as the encoder calls it */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
		double		dt = now() - t0;

		best = dt < best ? dt : best;
	}
	printf("sgemm_gflops %.2f (m %d n %d k %d, c[0] %g)\n", 2.0 * m * n * k / best / 1e9, m, n, k, c[0]);
	free(a);
	free(b);
	free(c);
	return 0;
}
