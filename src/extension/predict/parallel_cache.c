/*
 * parallel_cache.c: deep model results shared by the participants of one parallel query.
 *
 * Why: the backend-local cache (prediction_cache.c) lets people who share a haplotype over a
 * gene window share its forward pass. A row-parallel scan (row_parallel.c) hands rows out
 * regardless of their haplotypes, so with backend-local caches alone every participant
 * meets most of the cohort's distinct haplotypes (and haplotype pairs) and computes each
 * again: measured on 1,000 people from 30 founders, 2 workers were slower than 1 process.
 *
 * What: a hash table in the parallel query's DSA area, keyed like the local cache. The first
 * participant to miss a key claims it (an entry marked computing); one that meets a claimed
 * key waits on a condition variable for the value instead of computing it again, so every
 * distinct input is computed once per query, whatever the number of workers.
 *
 * Waiting cannot deadlock: a participant holds at most one claim, and between claiming and
 * publishing it runs one forward pass that never looks up another key (deep_predict.c looks
 * up, computes and stores each value in turn). An error in the owner's forward pass ends the
 * whole parallel query (a waiting leader is woken by the worker's error message, waiting
 * workers are terminated by the leader), except when the caller catches it: the claim is then
 * withdrawn at that participant's next lookup, or when it detaches.
 *
 * The table lives as long as the query; it takes at most varformer.prediction_cache_mb (the
 * leader's setting) and, once full, participants compute what is not in it as before.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "predict/parallel_cache.h"
#include "store/model_store.h"

#define N_BUCKETS 16384

struct VfParallelCache
{
	LWLock		lock;			/* the buckets, the entries' links, states and values */
	ConditionVariable published;	/* a claimed value was stored or withdrawn */
	bool		usable;			/* false: no DSA or no lock tranche; every lookup misses */
	dsa_pointer buckets;		/* N_BUCKETS dsa_pointers */
	int64		limit;
	int64		bytes;
	pg_atomic_uint64 computed,
				hits,
				waits;
};

typedef struct SharedEntry
{
	dsa_pointer chain;
	uint64		hash;
	uint32		klen;
	uint32		n;				/* floats */
	bool		ready;			/* false: claimed, being computed */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* n floats, then the key */
} SharedEntry;

/* This process's view of the current query's table. */
static VfParallelCache *cur = NULL;
static dsa_area *cur_area = NULL;
static dsa_pointer claim = InvalidDsaPointer;	/* the key this process owes the others */
static MemoryContextCallback forget_cb;

static size_t
entry_size(size_t klen, int n)
{
	return offsetof(SharedEntry, data) + MAXALIGN(sizeof(float) * n) + klen;
}

static char *
entry_key(SharedEntry *e)
{
	return e->data + MAXALIGN(sizeof(float) * e->n);
}

Size
vf_parallel_cache_size(void)
{
	return MAXALIGN(sizeof(VfParallelCache));
}

void
vf_parallel_cache_create(VfParallelCache *pc, dsa_area *area, int64 limit)
{
	int			tranche = vf_model_store_lock_tranche();

	memset(pc, 0, sizeof(*pc));
	pg_atomic_init_u64(&pc->computed, 0);
	pg_atomic_init_u64(&pc->hits, 0);
	pg_atomic_init_u64(&pc->waits, 0);
	ConditionVariableInit(&pc->published);
	pc->limit = limit;
	pc->buckets = InvalidDsaPointer;
	if (area == NULL || tranche < 0 || pc->limit <= 0)
		return;
	LWLockInitialize(&pc->lock, tranche);
	pc->buckets = dsa_allocate_extended(area, sizeof(dsa_pointer) * N_BUCKETS,
										DSA_ALLOC_NO_OOM | DSA_ALLOC_ZERO);
	pc->usable = DsaPointerIsValid(pc->buckets);
}

/* The query's memory is going away (normal end or abort): forget, touch nothing shared. */
static void
forget(void *arg)
{
	(void) arg;
	cur = NULL;
	cur_area = NULL;
	claim = InvalidDsaPointer;
}

void
vf_parallel_cache_attach(VfParallelCache *pc, dsa_area *area, MemoryContext query_cxt)
{
	if (!pc->usable || area == NULL)
		return;
	cur = pc;
	cur_area = area;
	claim = InvalidDsaPointer;
	forget_cb.func = forget;
	forget_cb.arg = NULL;
	MemoryContextRegisterResetCallback(query_cxt, &forget_cb);
}

static dsa_pointer *
bucket_of(uint64 hash)
{
	return (dsa_pointer *) dsa_get_address(cur_area, cur->buckets) + hash % N_BUCKETS;
}

/* A claim this process made and never published (its computation failed): take it back. */
static void
withdraw_claim(void)
{
	SharedEntry *e;
	dsa_pointer *p;

	if (!DsaPointerIsValid(claim))
		return;
	e = dsa_get_address(cur_area, claim);
	LWLockAcquire(&cur->lock, LW_EXCLUSIVE);
	for (p = bucket_of(e->hash); *p != claim;)
		p = &((SharedEntry *) dsa_get_address(cur_area, *p))->chain;
	*p = e->chain;
	cur->bytes -= entry_size(e->klen, e->n);
	LWLockRelease(&cur->lock);
	dsa_free(cur_area, claim);
	claim = InvalidDsaPointer;
	ConditionVariableBroadcast(&cur->published);
}

void
vf_parallel_cache_detach(void)
{
	if (cur == NULL)
		return;
	withdraw_claim();
	forget(NULL);
}

void
vf_parallel_cache_stats(const VfParallelCache *pc, VfParallelCacheStats *out)
{
	out->computed = (int64) pg_atomic_read_u64(unconstify(pg_atomic_uint64 *, &pc->computed));
	out->hits = (int64) pg_atomic_read_u64(unconstify(pg_atomic_uint64 *, &pc->hits));
	out->waits = (int64) pg_atomic_read_u64(unconstify(pg_atomic_uint64 *, &pc->waits));
}

static SharedEntry *
find(const void *key, size_t klen, uint64 hash, int n)
{
	for (dsa_pointer dp = *bucket_of(hash); DsaPointerIsValid(dp);)
	{
		SharedEntry *e = dsa_get_address(cur_area, dp);

		if (e->hash == hash && e->klen == klen && e->n == (uint32) n &&
			memcmp(entry_key(e), key, klen) == 0)
			return e;
		dp = e->chain;
	}
	return NULL;
}

/* Under the lock: an entry marked computing, owned by this process; false when full. */
static bool
claim_key(const void *key, size_t klen, uint64 hash, int n)
{
	size_t		sz = entry_size(klen, n);
	dsa_pointer dp;
	SharedEntry *e;
	dsa_pointer *b;

	if (cur->bytes + (int64) sz > cur->limit || klen > PG_UINT32_MAX)
		return false;
	dp = dsa_allocate_extended(cur_area, sz, DSA_ALLOC_NO_OOM);
	if (!DsaPointerIsValid(dp))
		return false;
	e = dsa_get_address(cur_area, dp);
	e->hash = hash;
	e->klen = (uint32) klen;
	e->n = (uint32) n;
	e->ready = false;
	memcpy(entry_key(e), key, klen);
	b = bucket_of(hash);
	e->chain = *b;
	*b = dp;
	cur->bytes += sz;
	claim = dp;
	return true;
}

bool
vf_parallel_cache_get(const void *key, size_t klen, uint64 hash, float *out, int n)
{
	bool		sleeping = false,
				found = false;

	if (cur == NULL)
		return false;
	withdraw_claim();
	for (;;)
	{
		SharedEntry *e;

		LWLockAcquire(&cur->lock, LW_EXCLUSIVE);
		e = find(key, klen, hash, n);
		if (e != NULL && e->ready)
		{
			memcpy(out, e->data, sizeof(float) * n);
			found = true;
		}
		else if (e == NULL)
			(void) claim_key(key, klen, hash, n);
		LWLockRelease(&cur->lock);
		if (e == NULL || found)
			break;
		/* another participant is computing it: wait for its value (or its withdrawal) */
		if (!sleeping)
		{
			pg_atomic_fetch_add_u64(&cur->waits, 1);
			ConditionVariablePrepareToSleep(&cur->published);
			sleeping = true;
			continue;			/* look again: it may have been published meanwhile */
		}
		ConditionVariableSleep(&cur->published, PG_WAIT_EXTENSION);
	}
	if (sleeping)
		ConditionVariableCancelSleep();
	if (found)
		pg_atomic_fetch_add_u64(&cur->hits, 1);
	return found;
}

void
vf_parallel_cache_put(const void *key, size_t klen, uint64 hash, const float *val, int n)
{
	SharedEntry *e;

	if (cur == NULL || !DsaPointerIsValid(claim))
		return;
	e = dsa_get_address(cur_area, claim);
	if (e->hash != hash || e->klen != klen || e->n != (uint32) n ||
		memcmp(entry_key(e), key, klen) != 0)
	{
		withdraw_claim();		/* not what was claimed: the claim's value never comes */
		return;
	}
	LWLockAcquire(&cur->lock, LW_EXCLUSIVE);
	memcpy(e->data, val, sizeof(float) * n);
	e->ready = true;
	LWLockRelease(&cur->lock);
	claim = InvalidDsaPointer;
	pg_atomic_fetch_add_u64(&cur->computed, 1);
	ConditionVariableBroadcast(&cur->published);
}
