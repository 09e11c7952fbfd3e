/*
 * parallel_cache.h: one prediction cache shared by the participants of a parallel query
 * (see parallel_cache.c). SQL entry layer only.
 */
#ifndef VARFORMER_PARALLEL_CACHE_H
#define VARFORMER_PARALLEL_CACHE_H

#include "postgres.h"

#include "utils/dsa.h"

typedef struct VfParallelCache VfParallelCache;

/* What a parallel query's participants did with the shared cache (EXPLAIN ANALYZE shows it). */
typedef struct VfParallelCacheStats
{
	int64		computed;		/* values computed once and shared */
	int64		hits;			/* values one participant took from another's work */
	int64		waits;			/* lookups that waited for a value another was computing */
} VfParallelCacheStats;

/* Bytes the row scan reserves in the parallel query's DSM segment. */
extern Size vf_parallel_cache_size(void);
/*
 * Leader, while the parallel query's DSM is set up: an empty cache in *pc, taking at most
 * limit bytes of area (0: none, every lookup misses).
 */
extern void vf_parallel_cache_create(VfParallelCache *pc, dsa_area *area, int64 limit);
/*
 * Every participant (leader and workers): prediction_cache.c consults pc from now until
 * vf_parallel_cache_detach or the end of query_cxt (an error abort), whichever comes first.
 */
extern void vf_parallel_cache_attach(VfParallelCache *pc, dsa_area *area, MemoryContext query_cxt);
extern void vf_parallel_cache_detach(void);
extern void vf_parallel_cache_stats(const VfParallelCache *pc, VfParallelCacheStats *out);

/*
 * Used by prediction_cache.c after a backend-local miss. get: true and out filled when some
 * participant computed the value (waiting, if one is computing it now); false when the
 * caller must compute it, which it then owes to the others through put.
 */
extern bool vf_parallel_cache_get(const void *key, size_t klen, uint64 hash, float *out, int n);
extern void vf_parallel_cache_put(const void *key, size_t klen, uint64 hash, const float *val, int n);

#endif
