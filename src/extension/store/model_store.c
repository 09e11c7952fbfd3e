/*
 * model_store.c: the shared-memory registry of loaded models.
 *
 * A small control block in the main shared memory (requested at preload time) maps
 * (database, name) to a pinned DSM segment holding the model's position-independent image.
 * Backends attach a segment lazily on first use and keep the mapping. Within one transaction
 * a name always resolves to the same image, so a query that started before an unload or
 * replace finishes on the image it started with: the mapping keeps the segment alive after
 * it is unpinned, and it is dropped at transaction end once the registry has moved on.
 *
 * Names with the same image share one segment: a load whose image equals, byte for byte, one
 * already in shared memory (another name for the same checkpoint with other options, say)
 * points its slot at that segment instead of pinning a copy. The segment is pinned once and
 * counted once in total_bytes; it is unpinned when the last slot using it lets go
 * (release_image), and a backend maps it once for all the names it uses (share_mapping).
 *
 * Lock order: varformer's LWLock, then (inside dsm_*) DynamicSharedMemoryControlLock.
 */
#include "postgres.h"

#include <time.h>

#include "access/transam.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "store/model_registry.h"

#define VF_TRANCHE "varformer"

typedef struct VfModelSlot
{
	bool		in_use;
	Oid			dbid;
	char		name[NAMEDATALEN];
	VfModelKind kind;
	char		arch[VF_ARCH_LEN];
	int64		parameters;
	Size		size;
	uint8		sha256[VF_SHA256_LEN];
	dsm_handle	handle;
	uint64		generation;
	pg_atomic_uint32 backends;	/* backends that have the segment mapped */
	pg_atomic_uint64 transactions;	/* backend transactions that used the model */
} VfModelSlot;

/*
 * An unload, remembered so that a session whose snapshot still shows the deleted catalog row
 * (a transaction older than the unload, or the unload not yet committed) does not reload the
 * model from that row into shared memory, where it would stay with no row behind it. Keyed
 * by the row version's xmin: a later load writes a new version, which reloads normally.
 */
#define VF_MAX_UNLOADS 256
typedef struct VfUnload
{
	bool		used;
	Oid			dbid;
	char		name[NAMEDATALEN];
	TransactionId row_xmin;		/* the catalog row version unload_model deleted */
	TransactionId by;			/* the unloading transaction */
} VfUnload;

typedef struct VfStoreControl
{
	LWLock	   *lock;
	uint64		next_generation;
	Size		total_bytes;
	int			max_models;
	int			next_unload;	/* ring: the oldest entry is overwritten */
	VfUnload	unloads[VF_MAX_UNLOADS];
	VfModelSlot slot[FLEXIBLE_ARRAY_MEMBER];
} VfStoreControl;

/* A model as this backend sees it. */
typedef struct LocalModel
{
	VfModelRef	ref;			/* first: vf_model_cache_* map a ref back to its entry */
	char		name[NAMEDATALEN];
	uint64		generation;
	dsm_segment *seg;
	LocalTransactionId used_lxid;	/* transaction that last resolved the name to this */
	void	   *cache;
	void		(*cache_free) (void *);
	struct LocalModel *next;
} LocalModel;

int			vf_model_max_memory_mb = 4096;
int			vf_debug_load_pause_at = 0;
static int	vf_max_models = 64;

static VfStoreControl *ctl = NULL;
static LocalModel *live = NULL;		/* current generations */
static LocalModel *retired = NULL;	/* replaced or unloaded: freed at transaction end */
static bool callbacks_registered = false;

/*
 * Generations load_model put into shared memory in the current transaction. Shared memory
 * is not transactional; if the transaction that wrote the catalog row aborts, these are
 * taken out again so shared memory never holds what the catalog does not describe (the
 * next use then reloads whatever the catalog still says).
 */
#define VF_MAX_PENDING 64
typedef struct PendingLoad
{
	uint64		generation;
	SubTransactionId subid;		/* undone when this subtransaction or an outer one aborts */
} PendingLoad;
static PendingLoad pending[VF_MAX_PENDING];
static int	n_pending = 0;

static void sweep_dropped_databases(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
control_size(void)
{
	return add_size(offsetof(VfStoreControl, slot),
					mul_size(sizeof(VfModelSlot), vf_max_models));
}

static void
vf_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(control_size());
	RequestNamedLWLockTranche(VF_TRANCHE, 1);
}

static void
vf_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ctl = ShmemInitStruct("varformer model store", control_size(), &found);
	if (!found)
	{
		memset(ctl, 0, control_size());
		ctl->lock = &(GetNamedLWLockTranche(VF_TRANCHE))->lock;
		ctl->max_models = vf_max_models;
		/* generations stay unique across shared-memory resets: start from the clock */
		ctl->next_generation = ((uint64) time(NULL)) << 20;
		for (int i = 0; i < vf_max_models; i++)
		{
			pg_atomic_init_u32(&ctl->slot[i].backends, 0);
			pg_atomic_init_u64(&ctl->slot[i].transactions, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The "varformer" LWLock tranche, for locks in dynamic shared memory; -1 when not preloaded. */
int
vf_model_store_lock_tranche(void)
{
	return ctl != NULL ? ctl->lock->tranche : -1;
}

void
vf_model_store_init(void)
{
	DefineCustomIntVariable("varformer.max_model_memory",
							"Shared memory all loaded models may use together.",
							"Checked by load_model before it allocates.",
							&vf_model_max_memory_mb, 4096, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_MB, NULL, NULL, NULL);
	/* for tests only (model_load.c): not in the sample file, not in SHOW ALL */
	DefineCustomIntVariable("varformer.debug_load_pause_at",
							"Debugging: load_model pauses after this many bytes of a checkpoint.",
							"0 (the default) never pauses. A paused load goes on when the advisory "
							"lock (1986424929, 0) is free; cancel and statement_timeout end it.",
							&vf_debug_load_pause_at, 0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL, NULL, NULL, NULL);
	/* a PGC_POSTMASTER setting can only be defined while the postmaster preloads us */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("varformer.max_models",
							"Number of models that can be loaded at the same time.",
							NULL, &vf_max_models, 64, 1, 4096,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = vf_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = vf_shmem_startup;
}

void
vf_model_store_require(void)
{
	if (ctl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("varformer's model store is not available: the library was not preloaded"),
				 errhint("Add 'varformer' to shared_preload_libraries in postgresql.conf and restart the server.")));
}

const char *
vf_model_kind_name(VfModelKind kind)
{
	switch (kind)
	{
		case VF_KIND_ENCODER:
			return "encoder";
		case VF_KIND_SEQ2FUNC:
			return "seq2func";
		case VF_KIND_PREDICTDB:
			return "predictdb";
		case VF_KIND_ENSEMBLE:
			return "ensemble";
		case VF_KIND_FUSED:
			return "fused";
		case VF_KIND_EMBED_HEAD:
			return "embedding_head";
	}
	return "unknown";
}

static void
check_name(const char *name)
{
	if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name \"%s\" must be 1 to %d bytes long", name, NAMEDATALEN - 1)));
}

/* Caller holds ctl->lock. */
static VfModelSlot *
find_slot(const char *name)
{
	for (int i = 0; i < ctl->max_models; i++)
		if (ctl->slot[i].in_use && ctl->slot[i].dbid == MyDatabaseId &&
			strcmp(ctl->slot[i].name, name) == 0)
			return &ctl->slot[i];
	return NULL;
}

/*
 * Under ctl->lock: does slot s hold exactly b's image? Equal sha256 of the files is not
 * enough: a PredictDB image also depends on its options (variant_key, palindromic,
 * min_variant_fraction, low_coverage), and a name loaded again with other options must get
 * the image those options build, not keep the old one.
 */
static bool
slot_holds_image(VfModelSlot *s, const VfModelBuild *b)
{
	dsm_segment *seg;
	bool		mapped_here,
				same;

	if (s == NULL || memcmp(s->sha256, b->sha256, VF_SHA256_LEN) != 0 || s->size != b->size)
		return false;
	seg = dsm_find_mapping(s->handle);
	mapped_here = seg != NULL;
	if (seg == NULL && (seg = dsm_attach(s->handle)) == NULL)
		return false;
	same = memcmp(dsm_segment_address(seg), b->seg ? dsm_segment_address(b->seg) : b->image, b->size) == 0;
	if (!mapped_here)
		dsm_detach(seg);
	return same;
}

/* Does the model loaded under name hold exactly b's image (model_sql.c, before replacing)? */
bool
vf_model_store_holds_image(const char *name, const VfModelBuild *b)
{
	bool		same;

	vf_model_store_require();
	LWLockAcquire(ctl->lock, LW_SHARED);
	same = slot_holds_image(find_slot(name), b);
	LWLockRelease(ctl->lock);
	return same;
}

static VfModelSlot *
find_generation(uint64 generation)
{
	for (int i = 0; i < ctl->max_models; i++)
		if (ctl->slot[i].in_use && ctl->slot[i].generation == generation)
			return &ctl->slot[i];
	return NULL;
}

static bool
find_generation_in_use(uint64 generation)
{
	bool		found;

	LWLockAcquire(ctl->lock, LW_SHARED);
	found = find_generation(generation) != NULL;
	LWLockRelease(ctl->lock);
	return found;
}

/*
 * A slot lets go of its segment (caller holds ctl->lock exclusively and clears the slot
 * after): unpinned, and its bytes no longer counted, unless another slot still uses it.
 */
static void
release_image(VfModelSlot *s)
{
	for (int i = 0; i < ctl->max_models; i++)
		if (&ctl->slot[i] != s && ctl->slot[i].in_use && ctl->slot[i].handle == s->handle)
			return;
	dsm_unpin_segment(s->handle);
	ctl->total_bytes -= s->size;
}

static LocalModel *
find_live(const char *name)
{
	for (LocalModel *e = live; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void
retire(LocalModel *e)
{
	LocalModel **pp = &live;

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	e->next = retired;
	retired = e;
}

/* Whether another of this backend's entries (live or retired) maps seg. */
static bool
mapping_shared(dsm_segment *seg, const LocalModel *except)
{
	for (LocalModel *lists[2] = {live, retired}, **l = lists; l < lists + 2; l++)
		for (LocalModel *o = *l; o; o = o->next)
			if (o != except && o->seg == seg)
				return true;
	return false;
}

/* Drops a retired entry's backend-local state and its mapping. */
static void
release_entry(LocalModel *e, bool count)
{
	if (e->cache && e->cache_free)
		e->cache_free(e->cache);
	e->cache = NULL;
	if (count && ctl)
	{
		VfModelSlot *s;

		LWLockAcquire(ctl->lock, LW_SHARED);
		s = find_generation(e->generation);
		if (s)
			pg_atomic_fetch_sub_u32(&s->backends, 1);
		LWLockRelease(ctl->lock);
	}
	if (e->seg && !mapping_shared(e->seg, e))
		dsm_detach(e->seg);
	pfree(e);
}

static void
free_retired(void)
{
	while (retired)
	{
		LocalModel *e = retired;

		retired = e->next;
		release_entry(e, true);
	}
}

/* At commit, entries whose model was unloaded or replaced elsewhere let go of the segment. */
static void
sweep_stale(void)
{
	LocalModel *e,
			   *next;

	if (live == NULL || ctl == NULL)
		return;
	LWLockAcquire(ctl->lock, LW_SHARED);
	for (e = live; e; e = next)
	{
		VfModelSlot *s = find_slot(e->name);

		next = e->next;
		if (s == NULL || s->generation != e->generation)
			retire(e);
	}
	LWLockRelease(ctl->lock);
}

/* Takes out what load_model registered in subtransactions >= min_subid. */
static void
undo_pending(SubTransactionId min_subid)
{
	LocalModel *e,
			   *next;
	int			keep = 0;

	if (n_pending == 0 || ctl == NULL)
		return;
	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n_pending; i++)
	{
		VfModelSlot *s;

		if (pending[i].subid < min_subid)
		{
			pending[keep++] = pending[i];
			continue;
		}
		s = find_generation(pending[i].generation);
		if (s == NULL)
			continue;
		release_image(s);
		s->in_use = false;
		s->generation = 0;
	}
	LWLockRelease(ctl->lock);
	for (e = live; e; e = next)
	{
		next = e->next;
		if (find_generation_in_use(e->generation) == false)
			retire(e);
	}
	n_pending = keep;
}

static void
store_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		undo_pending(mySubid);
}

static void
store_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			n_pending = 0;
			sweep_stale();
			free_retired();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			undo_pending(InvalidSubTransactionId);
			free_retired();
			break;
		case XACT_EVENT_PREPARE:
			/* its fate is decided elsewhere; a prepared load stays loaded */
			n_pending = 0;
			free_retired();
			break;
		default:
			break;
	}
}

static void
store_exit_callback(int code, Datum arg)
{
	/* the mappings go with the process; only the attachment counts need fixing */
	if (ctl == NULL || LWLockHeldByMe(ctl->lock))
		return;
	LWLockAcquire(ctl->lock, LW_SHARED);
	for (LocalModel *lists[2] = {live, retired}, **l = lists; l < lists + 2; l++)
		for (LocalModel *e = *l; e; e = e->next)
		{
			VfModelSlot *s = find_generation(e->generation);

			if (s)
				pg_atomic_fetch_sub_u32(&s->backends, 1);
		}
	LWLockRelease(ctl->lock);
	live = retired = NULL;
}

static void
register_callbacks(void)
{
	if (callbacks_registered)
		return;
	RegisterXactCallback(store_xact_callback, NULL);
	RegisterSubXactCallback(store_subxact_callback, NULL);
	before_shmem_exit(store_exit_callback, (Datum) 0);
	callbacks_registered = true;
}

static LocalModel *
add_live(const char *name, dsm_segment *seg, VfModelKind kind, Size size, uint64 generation)
{
	LocalModel *e = MemoryContextAllocZero(TopMemoryContext, sizeof(LocalModel));

	strlcpy(e->name, name, NAMEDATALEN);
	e->seg = seg;
	e->generation = generation;
	e->used_lxid = MyProc->lxid;
	e->ref.name = e->name;
	e->ref.kind = kind;
	e->ref.image = dsm_segment_address(seg);
	e->ref.size = size;
	e->ref.generation = generation;
	e->next = live;
	live = e;
	return e;
}

const VfModelRef *
vf_model_store_attach(const char *name)
{
	LocalModel *e;
	VfModelSlot *s;
	dsm_segment *seg;
	VfModelKind kind;
	Size		size;
	uint64		generation;

	vf_model_store_require();
	register_callbacks();
	e = find_live(name);
	if (e && e->used_lxid == MyProc->lxid)
		return &e->ref;			/* pinned for this transaction */

	LWLockAcquire(ctl->lock, LW_SHARED);
	s = find_slot(name);
	if (s == NULL)
	{
		LWLockRelease(ctl->lock);
		return NULL;
	}
	pg_atomic_fetch_add_u64(&s->transactions, 1);
	if (e && e->generation == s->generation)
	{
		LWLockRelease(ctl->lock);
		e->used_lxid = MyProc->lxid;
		return &e->ref;
	}
	/* attaching under the lock: an unload cannot unpin the segment meanwhile */
	seg = dsm_find_mapping(s->handle);	/* another name of the same image, mapped already */
	if (seg == NULL)
		seg = dsm_attach(s->handle);
	if (seg == NULL)
	{
		LWLockRelease(ctl->lock);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shared memory of model \"%s\" is gone", name),
				 errhint("Load the model again with load_model(..., '{\"replace\": true}').")));
	}
	pg_atomic_fetch_add_u32(&s->backends, 1);
	kind = s->kind;
	size = s->size;
	generation = s->generation;
	LWLockRelease(ctl->lock);

	dsm_pin_mapping(seg);
	if (e)
		retire(e);
	e = add_live(name, seg, kind, size, generation);
	return &e->ref;
}

void *
vf_model_cache_get(const VfModelRef *m)
{
	const LocalModel *e = (const LocalModel *) m;

	return e->cache;
}

void
vf_model_cache_set(const VfModelRef *m, void *state, void (*free_fn) (void *))
{
	LocalModel *e = (LocalModel *) m;

	if (e->cache && e->cache_free && e->cache != state)
		e->cache_free(e->cache);
	e->cache = state;
	e->cache_free = free_fn;
}

/*
 * Serialises loading one name (load_model, and reloads after a reset, which many backends
 * may start at once): the others wait, then find it loaded instead of building their own
 * copy. A session-level advisory lock, so waiting is interruptible and the lock is not held
 * for the rest of a long transaction.
 */
#define VF_LOCK_CLASS ((int32) 0x76666d73)	/* "vfms" */

void
vf_model_name_lock(const char *name, bool lock)
{
	int32		key = (int32) hash_bytes((const unsigned char *) name, (int) strlen(name));

	/* advisory locks are refused in parallel mode; there, concurrent loads stay possible */
	if (IsInParallelMode())
		return;
	if (lock)
		DirectFunctionCall2(pg_advisory_lock_int4, Int32GetDatum(VF_LOCK_CLASS), Int32GetDatum(key));
	else
		DirectFunctionCall2(pg_advisory_unlock_int4, Int32GetDatum(VF_LOCK_CLASS), Int32GetDatum(key));
}

int64
vf_model_store_available(const char *replacing)
{
	int64		cap = (int64) vf_model_max_memory_mb * 1024 * 1024;
	int64		used;
	VfModelSlot *s;

	vf_model_store_require();
	sweep_dropped_databases();
	LWLockAcquire(ctl->lock, LW_SHARED);
	used = (int64) ctl->total_bytes;
	if (replacing && (s = find_slot(replacing)) != NULL)
		used -= (int64) s->size;
	LWLockRelease(ctl->lock);
	return cap > used ? cap - used : 0;
}

/*
 * Models of a database that was dropped would stay pinned until the next restart; each
 * load takes them out first.
 */
static void
sweep_dropped_databases(void)
{
	Oid			dead[64];
	int			n_dead = 0;

	LWLockAcquire(ctl->lock, LW_SHARED);
	for (int i = 0; i < ctl->max_models && n_dead < (int) lengthof(dead); i++)
		if (ctl->slot[i].in_use && ctl->slot[i].dbid != MyDatabaseId)
			dead[n_dead++] = ctl->slot[i].dbid;
	LWLockRelease(ctl->lock);
	if (n_dead == 0)
		return;
	for (int i = 0; i < n_dead; i++)
		if (SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(dead[i])))
			dead[i] = InvalidOid;

	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ctl->max_models; i++)
	{
		VfModelSlot *s = &ctl->slot[i];

		for (int k = 0; k < n_dead && s->in_use; k++)
			if (OidIsValid(dead[k]) && s->dbid == dead[k])
			{
				elog(LOG, "varformer: unloading model \"%s\" of dropped database %u", s->name, s->dbid);
				release_image(s);
				s->in_use = false;
				s->generation = 0;
			}
	}
	LWLockRelease(ctl->lock);
}

static void
refuse_different_bytes(const char *name, const VfModelSlot *s, const VfModelBuild *b)
{
	char	   *old = vf_sha256_hex(s->sha256);
	char	   *new = vf_sha256_hex(b->sha256);

	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("model \"%s\" is already loaded with different content", name),
			 errdetail("Loaded sha256 %s, new sha256 %s.", old, new),
			 errhint("A model name denotes fixed content. Pass '{\"replace\": true}' to replace it, or use another name.")));
}

/* Fills slot s (caller holds ctl->lock exclusively) for name with b's description. */
static uint64
fill_slot(VfModelSlot *s, const char *name, const VfModelBuild *b, dsm_handle handle,
		  bool undo_on_abort)
{
	uint64		generation;

	s->in_use = true;
	s->dbid = MyDatabaseId;
	strlcpy(s->name, name, NAMEDATALEN);
	s->kind = b->kind;
	strlcpy(s->arch, b->arch, VF_ARCH_LEN);
	s->parameters = b->parameters;
	s->size = b->size;
	memcpy(s->sha256, b->sha256, VF_SHA256_LEN);
	s->handle = handle;
	s->generation = generation = ++ctl->next_generation;
	pg_atomic_write_u32(&s->backends, 1);
	pg_atomic_write_u64(&s->transactions, 0);
	if (undo_on_abort)
	{
		pending[n_pending].generation = generation;
		pending[n_pending].subid = GetCurrentSubTransactionId();
		n_pending++;
	}
	return generation;
}

/*
 * Under ctl->lock (exclusive): the slot a load of name fills: its current one (s, whose image
 * is released) or a free one.
 */
static VfModelSlot *
take_slot(const char *name, VfModelSlot *s)
{
	if (s != NULL)
	{
		release_image(s);
		return s;
	}
	for (int i = 0; i < ctl->max_models; i++)
		if (!ctl->slot[i].in_use)
			return &ctl->slot[i];
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("cannot load model \"%s\": %d models are loaded already", name, ctl->max_models),
			 errhint("Unload a model or raise varformer.max_models (needs a restart).")));
	return NULL;				/* not reached */
}

/*
 * Registers name on the segment of another slot whose image is b's, byte for byte (same
 * kind, architecture, size and content sha256 first, then the bytes compared); false when
 * there is none, and nothing changed. The new build is then dropped by the caller.
 */
static bool
share_image(const char *name, VfModelBuild *b, bool replace, bool undo_on_abort, bool *replaced)
{
	VfModelSlot *s,
			   *donor = NULL;
	dsm_segment *seg;
	dsm_handle	handle = 0;
	uint64		donor_generation = 0,
				generation;
	bool		mapped_here,
				same;
	LocalModel *e;

	LWLockAcquire(ctl->lock, LW_SHARED);
	for (int i = 0; i < ctl->max_models && donor == NULL; i++)
	{
		VfModelSlot *t = &ctl->slot[i];

		if (t->in_use && t->dbid == MyDatabaseId && strcmp(t->name, name) != 0 &&
			t->kind == b->kind && t->size == b->size && strcmp(t->arch, b->arch) == 0 &&
			memcmp(t->sha256, b->sha256, VF_SHA256_LEN) == 0)
			donor = t;
	}
	if (donor == NULL)
	{
		LWLockRelease(ctl->lock);
		return false;
	}
	handle = donor->handle;
	donor_generation = donor->generation;
	/* mapped under the lock: the donor cannot be unpinned meanwhile */
	seg = dsm_find_mapping(handle);
	mapped_here = seg != NULL;
	if (seg == NULL)
		seg = dsm_attach(handle);
	LWLockRelease(ctl->lock);
	if (seg == NULL)
		return false;
	/* equal sha256 of the files; the image also depends on options (PredictDB's): compare */
	same = memcmp(dsm_segment_address(seg), b->seg ? dsm_segment_address(b->seg) : b->image, b->size) == 0;

	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	donor = find_generation(donor_generation);
	if (!same || donor == NULL || donor->handle != handle)
	{
		LWLockRelease(ctl->lock);
		if (!mapped_here)
			dsm_detach(seg);
		return false;
	}
	s = find_slot(name);
	if (s && !replace)
		refuse_different_bytes(name, s, b);
	*replaced = (s != NULL);
	s = take_slot(name, s);
	generation = fill_slot(s, name, b, handle, undo_on_abort);
	LWLockRelease(ctl->lock);

	/* our own copy is not needed: an unpinned segment goes with its last mapping */
	if (b->seg != NULL)
	{
		dsm_detach(b->seg);
		b->seg = NULL;
		b->image = NULL;
	}
	dsm_pin_mapping(seg);
	e = find_live(name);
	if (e)
		retire(e);
	add_live(name, seg, b->kind, b->size, generation);
	return true;
}

VfRegisterResult
vf_model_store_register(const char *name, VfModelBuild *b, bool replace,
						bool undo_on_abort)
{
	VfModelSlot *s;
	dsm_segment *seg;
	int64		cap = (int64) vf_model_max_memory_mb * 1024 * 1024;
	int64		used;
	bool		replaced;
	uint64		generation;
	LocalModel *e;

	vf_model_store_require();
	check_name(name);
	register_callbacks();
	if (undo_on_abort && n_pending >= VF_MAX_PENDING)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot load more than %d models in one transaction", VF_MAX_PENDING)));

	sweep_dropped_databases();

	/* Cheap refusals first, before a large allocation. */
	LWLockAcquire(ctl->lock, LW_SHARED);
	s = find_slot(name);
	if (slot_holds_image(s, b))
	{
		LWLockRelease(ctl->lock);
		(void) vf_model_store_attach(name);
		return VF_REGISTER_UNCHANGED;
	}
	if (s && !replace)
		refuse_different_bytes(name, s, b);
	LWLockRelease(ctl->lock);

	if (share_image(name, b, replace, undo_on_abort, &replaced))
		return replaced ? VF_REGISTER_REPLACED : VF_REGISTER_LOADED;

	if (b->seg != NULL)
	{
		/* built in place: adopted, so vf_model_build_free leaves it alone from here on */
		seg = b->seg;
		b->seg = NULL;
		b->image = NULL;
	}
	else
	{
		seg = vf_model_segment_create(psprintf("model \"%s\"", name), b->size);
		memcpy(dsm_segment_address(seg), b->image, b->size);
	}

	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	s = find_slot(name);
	if (slot_holds_image(s, b))
	{
		/* someone loaded the same bytes meanwhile; ours goes with the transaction */
		LWLockRelease(ctl->lock);
		dsm_detach(seg);
		(void) vf_model_store_attach(name);
		return VF_REGISTER_UNCHANGED;
	}
	if (s && !replace)
		refuse_different_bytes(name, s, b);
	used = (int64) ctl->total_bytes - (s ? (int64) s->size : 0);
	if (used + (int64) b->size > cap)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("loading model \"%s\" (%zu bytes) would exceed varformer.max_model_memory (%d MB)",
						name, b->size, vf_model_max_memory_mb),
				 errdetail("Models already use %lld bytes.", (long long) used),
				 errhint("Raise varformer.max_model_memory or unload other models.")));
	replaced = (s != NULL);
	s = take_slot(name, s);
	dsm_pin_segment(seg);
	generation = fill_slot(s, name, b, dsm_segment_handle(seg), undo_on_abort);
	ctl->total_bytes += b->size;
	LWLockRelease(ctl->lock);

	dsm_pin_mapping(seg);
	e = find_live(name);
	if (e)
		retire(e);
	add_live(name, seg, b->kind, b->size, generation);
	return replaced ? VF_REGISTER_REPLACED : VF_REGISTER_LOADED;
}

void
vf_model_store_note_unload(const char *name, TransactionId row_xmin)
{
	VfUnload   *u;

	vf_model_store_require();
	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	u = &ctl->unloads[ctl->next_unload];
	ctl->next_unload = (ctl->next_unload + 1) % VF_MAX_UNLOADS;
	u->used = true;
	u->dbid = MyDatabaseId;
	strlcpy(u->name, name, NAMEDATALEN);
	u->row_xmin = row_xmin;
	u->by = GetCurrentTransactionId();
	LWLockRelease(ctl->lock);
}

/* An unload by `by` is one this backend must respect (not rolled back, possibly not visible). */
static bool
unload_stands(TransactionId by)
{
	/* finished before every snapshot of ours: the deleted row is invisible to us anyway */
	if (TransactionIdPrecedes(by, TransactionXmin))
		return false;
	if (TransactionIdIsCurrentTransactionId(by) || TransactionIdIsInProgress(by))
		return true;
	return TransactionIdDidCommit(by);
}

bool
vf_model_store_unloaded(const char *name, TransactionId row_xmin)
{
	VfUnload	found[VF_MAX_UNLOADS];
	int			n = 0;

	vf_model_store_require();
	LWLockAcquire(ctl->lock, LW_SHARED);
	for (int i = 0; i < VF_MAX_UNLOADS; i++)
	{
		VfUnload   *u = &ctl->unloads[i];

		if (u->used && u->dbid == MyDatabaseId && u->row_xmin == row_xmin &&
			strcmp(u->name, name) == 0)
			found[n++] = *u;
	}
	LWLockRelease(ctl->lock);
	/* the commit log is read outside the LWLock */
	for (int i = 0; i < n; i++)
		if (unload_stands(found[i].by))
			return true;
	return false;
}

bool
vf_model_store_unregister(const char *name)
{
	VfModelSlot *s;
	LocalModel *e;

	vf_model_store_require();
	register_callbacks();
	LWLockAcquire(ctl->lock, LW_EXCLUSIVE);
	s = find_slot(name);
	if (s == NULL)
	{
		LWLockRelease(ctl->lock);
		return false;
	}
	/* running queries keep their mappings; the segment goes when the last one detaches */
	release_image(s);
	s->in_use = false;
	s->generation = 0;
	LWLockRelease(ctl->lock);
	e = find_live(name);
	if (e)
		retire(e);
	return true;
}

static void
copy_status(const VfModelSlot *s, VfModelStatus *o)
{
	strlcpy(o->name, s->name, NAMEDATALEN);
	o->kind = s->kind;
	strlcpy(o->arch, s->arch, VF_ARCH_LEN);
	o->parameters = s->parameters;
	o->bytes = (int64) s->size;
	memcpy(o->sha256, s->sha256, VF_SHA256_LEN);
	o->generation = s->generation;
	o->image = (int64) s->handle;
	o->backends = (int32) pg_atomic_read_u32(unconstify(pg_atomic_uint32 *, &s->backends));
	o->calls = (int64) pg_atomic_read_u64(unconstify(pg_atomic_uint64 *, &s->transactions));
}

bool
vf_model_store_lookup(const char *name, VfModelStatus *out)
{
	VfModelSlot *s;

	vf_model_store_require();
	LWLockAcquire(ctl->lock, LW_SHARED);
	s = find_slot(name);
	if (s)
		copy_status(s, out);
	LWLockRelease(ctl->lock);
	return s != NULL;
}

int
vf_model_store_list(VfModelStatus **out)
{
	int			n = 0;

	vf_model_store_require();
	*out = palloc0(sizeof(VfModelStatus) * ctl->max_models);
	LWLockAcquire(ctl->lock, LW_SHARED);
	for (int i = 0; i < ctl->max_models; i++)
		if (ctl->slot[i].in_use && ctl->slot[i].dbid == MyDatabaseId)
			copy_status(&ctl->slot[i], &(*out)[n++]);
	LWLockRelease(ctl->lock);
	return n;
}
