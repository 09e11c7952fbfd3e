/*
 * prediction_cache.c: results of deep models computed once per distinct input, per backend.
 *
 * Keys are opaque bytes (deep_predict.c builds them from the model, its options, the gene
 * window and the variants inside it); values are short float vectors (a pooled embedding,
 * a trunk's outputs). Least recently used entries go first once varformer.prediction_cache_mb
 * is reached.
 *
 * Backend-local on purpose: no locks on the path of every call, and nothing to clean up
 * after a crash. Within a parallel query the participants also share what they compute
 * (parallel_cache.c), consulted after a local miss: otherwise each would compute again the
 * distinct haplotypes (and pairs) the others already did. Entries are inserted only once computed whole, so a query cancelled in
 * the middle of a forward pass leaves the cache as it was.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "predict/parallel_cache.h"
#include "predict/prediction_cache.h"

PG_FUNCTION_INFO_V1(vf_prediction_cache_stats);
PG_FUNCTION_INFO_V1(vf_prediction_cache_reset);

int			vf_prediction_cache_mb = 64;

typedef struct Entry
{
	struct Entry *chain;		/* next in the bucket */
	struct Entry *prev,
			   *next;			/* LRU list, most recent first */
	uint64		hash;
	uint32		klen;
	uint32		n;				/* floats */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* n floats, then the key */
} Entry;

static Entry **buckets;
static uint32 n_buckets;
static Entry *lru_head,
		   *lru_tail;
static int64 n_entries,
			bytes,
			hits,
			misses,
			evictions;

static size_t
entry_size(uint32 klen, uint32 n)
{
	return offsetof(Entry, data) + MAXALIGN(sizeof(float) * n) + klen;
}

static const char *
entry_key(const Entry *e)
{
	return e->data + MAXALIGN(sizeof(float) * e->n);
}

static void
lru_unlink(Entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(Entry *e)
{
	e->next = lru_head;
	e->prev = NULL;
	if (lru_head)
		lru_head->prev = e;
	lru_head = e;
	if (lru_tail == NULL)
		lru_tail = e;
}

static void
remove_entry(Entry *e)
{
	Entry	  **p = &buckets[e->hash % n_buckets];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	lru_unlink(e);
	bytes -= entry_size(e->klen, e->n);
	n_entries--;
	free(e);
}

static int64
capacity(void)
{
	return (int64) vf_prediction_cache_mb * 1024 * 1024;
}

static void
evict_to(int64 limit)
{
	while (lru_tail != NULL && bytes > limit)
	{
		remove_entry(lru_tail);
		evictions++;
	}
}

static bool
ensure_buckets(void)
{
	if (buckets == NULL)
	{
		n_buckets = 4096;
		buckets = calloc(n_buckets, sizeof(Entry *));
		return buckets != NULL;
	}
	if (n_entries > 2 * (int64) n_buckets && n_buckets < (1u << 24))
	{
		uint32		nb = n_buckets * 2;
		Entry	  **b = calloc(nb, sizeof(Entry *));

		if (b == NULL)
			return true;		/* keep the smaller table: slower, still right */
		for (uint32 i = 0; i < n_buckets; i++)
			for (Entry *e = buckets[i], *next; e != NULL; e = next)
			{
				next = e->chain;
				e->chain = b[e->hash % nb];
				b[e->hash % nb] = e;
			}
		free(buckets);
		buckets = b;
		n_buckets = nb;
	}
	return true;
}

static void local_put(const void *key, size_t klen, uint64 h, const float *val, int n);

bool
vf_prediction_cache_get(const void *key, size_t klen, float *out, int n)
{
	uint64		h;

	if (vf_prediction_cache_mb <= 0)
	{
		misses++;
		return false;
	}
	h = hash_bytes_extended(key, (int) klen, 0);
	if (buckets != NULL)
	{
		for (Entry *e = buckets[h % n_buckets]; e != NULL; e = e->chain)
			if (e->hash == h && e->klen == klen && e->n == (uint32) n &&
				memcmp(entry_key(e), key, klen) == 0)
			{
				memcpy(out, e->data, sizeof(float) * n);
				lru_unlink(e);
				lru_push(e);
				hits++;
				return true;
			}
	}
	/* in a parallel query, another participant may have computed it (parallel_cache.c) */
	if (vf_parallel_cache_get(key, klen, h, out, n))
	{
		local_put(key, klen, h, out, n);
		hits++;
		return true;
	}
	misses++;
	return false;
}

void
vf_prediction_cache_put(const void *key, size_t klen, const float *val, int n)
{
	uint64		h;

	if (vf_prediction_cache_mb <= 0)
		return;
	h = hash_bytes_extended(key, (int) klen, 0);
	vf_parallel_cache_put(key, klen, h, val, n);
	local_put(key, klen, h, val, n);
}

static void
local_put(const void *key, size_t klen, uint64 h, const float *val, int n)
{
	size_t		sz = entry_size((uint32) klen, (uint32) n);
	Entry	   *e;

	if ((int64) sz > capacity() || klen > PG_INT32_MAX)
		return;
	if (!ensure_buckets())
		return;
	evict_to(capacity() - (int64) sz);
	if ((e = malloc(sz)) == NULL)
		return;					/* no room: the value is simply computed again next time */
	e->hash = h;
	e->klen = (uint32) klen;
	e->n = (uint32) n;
	memcpy(e->data, val, sizeof(float) * n);
	memcpy((char *) entry_key(e), key, klen);
	e->chain = buckets[h % n_buckets];
	buckets[h % n_buckets] = e;
	e->prev = e->next = NULL;
	lru_push(e);
	bytes += sz;
	n_entries++;
}

/* A smaller limit set during the session takes effect at once. */
static void
assign_cache_mb(int newval, void *extra)
{
	(void) extra;
	if (buckets != NULL)
	{
		int64		limit = (int64) newval * 1024 * 1024;

		while (lru_tail != NULL && bytes > limit)
		{
			remove_entry(lru_tail);
			evictions++;
		}
	}
}

void
vf_prediction_cache_init(void)
{
	DefineCustomIntVariable("varformer.prediction_cache_mb",
							"Memory per backend for deep model results reused across rows.",
							"predict_expression, variant_effect and explain_expression keep each "
							"haplotype's (and haplotype pair's) model outputs per gene window, "
							"so people who share a haplotype there share its computation. "
							"0 disables the cache.",
							&vf_prediction_cache_mb,
							64, 0, 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_MB,
							NULL, assign_cache_mb, NULL);
}

/* varformer_cache_stats(): this backend's counters (a parallel worker's are its own). */
Datum
vf_prediction_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("varformer_cache_stats must be called where a record is expected")));
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum(hits);
	values[1] = Int64GetDatum(misses);
	values[2] = Float8GetDatum(hits + misses > 0 ? (double) hits / (hits + misses) : 0.0);
	values[3] = Int64GetDatum(n_entries);
	values[4] = Int64GetDatum(bytes);
	values[5] = Int64GetDatum(capacity());
	values[6] = Int64GetDatum(evictions);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* varformer_cache_reset(): empties this backend's cache and zeroes its counters. */
Datum
vf_prediction_cache_reset(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	while (lru_tail != NULL)
		remove_entry(lru_tail);
	hits = misses = evictions = 0;
	PG_RETURN_VOID();
}
