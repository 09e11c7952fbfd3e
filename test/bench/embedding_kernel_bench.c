/*
 * embedding_kernel_bench.c: the cosine-distance kernel alone, over the same data volume as
 * the SQL benchmark (rows x dim float32, far larger than the last-level cache), keeping the
 * 10 nearest rows as ORDER BY ... LIMIT 10 does. Links src/embedding_kernels.c, compiled
 * with the extension's kernel flags. Prints key=value lines the bench script parses.
 * Usage: embedding_kernel_bench ROWS DIM
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "varformer/kernels/embedding_kernels.h"

#include "bench_memory.h"

#define K 10

typedef struct Job
{
	const float *rows;
	const float *q;
	size_t		first,
				count;
	int			dim;
	double		best[K];
	size_t		best_row[K];
} Job;

static void *
scan(void *arg)
{
	Job		   *j = arg;

	for (int k = 0; k < K; k++)
		j->best[k] = 1e300;
	for (size_t r = j->first; r < j->first + j->count; r++)
	{
		double		d = vf_emb_cosine_distance(j->rows + r * j->dim, j->q, j->dim);

		if (d < j->best[K - 1])
		{
			int			k = K - 1;

			while (k > 0 && j->best[k - 1] > d)
			{
				j->best[k] = j->best[k - 1];
				j->best_row[k] = j->best_row[k - 1];
				k--;
			}
			j->best[k] = d;
			j->best_row[k] = r;
		}
	}
	return NULL;
}

static double
timed(const float *rows, const float *q, size_t nrows, int dim, int nthreads, size_t *nearest)
{
	pthread_t	t[64];
	Job			jobs[64];
	size_t		per = (nrows + nthreads - 1) / nthreads;
	double		t0 = now(),
				s;

	for (int i = 0; i < nthreads; i++)
	{
		size_t		first = i * per;

		jobs[i] = (Job) {.rows = rows, .q = q, .dim = dim, .first = first,
			.count = first >= nrows ? 0 : (first + per > nrows ? nrows - first : per)};
		pthread_create(&t[i], NULL, scan, &jobs[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	s = now() - t0;
	/* nearest overall: smallest of the per-thread winners */
	{
		double		b = 1e300;

		for (int i = 0; i < nthreads; i++)
			if (jobs[i].count > 0 && jobs[i].best[0] < b)
			{
				b = jobs[i].best[0];
				*nearest = jobs[i].best_row[0];
			}
	}
	return s;
}

int
main(int argc, char **argv)
{
	size_t		nrows = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	int			dim = argc > 2 ? atoi(argv[2]) : 768;
	int			ncpu = (int) sysconf(_SC_NPROCESSORS_ONLN);
	float	   *rows = alloc_huge(nrows * dim * sizeof(float));
	float	   *q = malloc(dim * sizeof(float));
	uint64_t	x = 88172645463325252ULL;
	double		bytes = (double) nrows * dim * sizeof(float);

	if (!rows || !q || dim < 1 || dim > VF_EMBEDDING_MAX_DIM)
		return 1;
	if (ncpu > 64)
		ncpu = 64;
	if (ncpu < 1)
		ncpu = 1;
	/* xorshift64: uniform [-1, 1) like the SQL benchmark's random() * 2 - 1 */
	for (size_t i = 0; i < nrows * dim + dim; i++)
	{
		float		v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (float) ((x >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
		if (i < nrows * (size_t) dim)
			rows[i] = v;
		else
			q[i - nrows * dim] = v;
	}

	for (int pass = 0; pass < 2; pass++)
	{
		int			nthreads = pass == 0 ? 1 : ncpu;
		double		best = 1e30;
		size_t		nearest = 0;

		for (int r = 0; r < 5; r++)
		{
			double		s = timed(rows, q, nrows, dim, nthreads, &nearest);

			if (s < best)
				best = s;
		}
		printf("kernel_%s_seconds=%.4f\n", pass == 0 ? "1t" : "all", best);
		printf("kernel_%s_rows_per_s=%.0f\n", pass == 0 ? "1t" : "all", nrows / best);
		printf("kernel_%s_gbps=%.2f\n", pass == 0 ? "1t" : "all", bytes / best / 1e9);
		printf("kernel_%s_nearest_row=%zu\n", pass == 0 ? "1t" : "all", nearest);
	}
	free(rows);
	free(q);
	return 0;
}
