/*
 * bench_memory.h: timing and buffer allocation shared by the bandwidth benchmark (membw.c)
 * and the distance-kernel benchmark (embedding_kernel_bench.c). One definition, so the two
 * numbers the embedding bench divides by each other are always measured alike.
 */
#ifndef VARFORMER_BENCH_MEMORY_H
#define VARFORMER_BENCH_MEMORY_H

#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Large buffers on 2 MB pages where the kernel allows it (THP "madvise" mode): hardware
 * prefetchers stop at 4 kB page boundaries, and PostgreSQL's shared buffers use huge pages
 * when it can, so measuring with 4 kB pages would understate the bandwidth a scan sees.
 */
static inline void *
alloc_huge(size_t bytes)
{
	size_t		huge = 2 * 1024 * 1024;
	size_t		rounded = (bytes + huge - 1) / huge * huge;
	void	   *p = aligned_alloc(huge, rounded);

	if (p)
		madvise(p, rounded, MADV_HUGEPAGE);
	return p;
}

#endif
