/*
 * membw.c: this machine's memory bandwidth, the ceiling for a scan that streams embeddings.
 *
 * Measures (best of several passes over a buffer far larger than the last-level cache):
 *   read  - a vectorized sum over the buffer (what a distance kernel does to its rows),
 *   copy  - memcpy of half the buffer to the other half (reported as bytes copied per second;
 *           the memory traffic is at least twice that),
 * for 1 thread and for every CPU. Prints key=value lines the bench script parses.
 * Usage: membw [MiB]   (default 1024)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "varformer/common/simd.h"

#include "bench_memory.h"

VF_TARGET_CLONES static float
sum_floats(const float *x, size_t n)
{
	float		s = 0.0f;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	return s;
}

typedef struct Job
{
	float	   *buf;
	size_t		n;
	int			copy;
	volatile float sink;
} Job;

static void *
run_job(void *arg)
{
	Job		   *j = arg;

	if (j->copy)
		memcpy(j->buf + j->n / 2, j->buf, (j->n / 2) * sizeof(float));
	else
		j->sink = sum_floats(j->buf, j->n);
	return NULL;
}

/* One timed pass: nthreads threads, each over its own slice. Returns seconds. */
static double
pass(float *buf, size_t n, int nthreads, int copy)
{
	pthread_t	t[256];
	Job			jobs[256];
	size_t		per = n / nthreads;
	double		t0 = now();

	for (int i = 0; i < nthreads; i++)
	{
		jobs[i] = (Job) {.buf = buf + i * per, .n = per, .copy = copy};
		pthread_create(&t[i], NULL, run_job, &jobs[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	return now() - t0;
}

static double
best_gbps(float *buf, size_t n, int nthreads, int copy, int reps)
{
	double		best = 1e30;
	size_t		per = n / nthreads;
	double		bytes = copy ? (double) (per / 2) * sizeof(float) * nthreads
		: (double) per * sizeof(float) * nthreads;

	for (int r = 0; r < reps; r++)
	{
		double		s = pass(buf, n, nthreads, copy);

		if (s < best)
			best = s;
	}
	return bytes / best / 1e9;
}

int
main(int argc, char **argv)
{
	size_t		mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t		n = mib * 1024 * 1024 / sizeof(float);
	int			ncpu = (int) sysconf(_SC_NPROCESSORS_ONLN);
	float	   *buf;

	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > 256)
		ncpu = 256;
	buf = alloc_huge(n * sizeof(float));
	if (!buf)
	{
		fprintf(stderr, "membw: cannot allocate %zu MiB\n", mib);
		return 1;
	}
	for (size_t i = 0; i < n; i++)	/* fault every page in, non-zero data */
		buf[i] = (float) (i & 1023);

	printf("membw_buffer_mib=%zu\n", mib);
	printf("membw_cpus=%d\n", ncpu);
	printf("membw_read_1t_gbps=%.2f\n", best_gbps(buf, n, 1, 0, 5));
	printf("membw_read_all_gbps=%.2f\n", best_gbps(buf, n, ncpu, 0, 5));
	printf("membw_copy_1t_gbps=%.2f\n", best_gbps(buf, n, 1, 1, 5));
	printf("membw_copy_all_gbps=%.2f\n", best_gbps(buf, n, ncpu, 1, 5));
	free(buf);
	return 0;
}
