/*
 * model_store.h: the shared-memory registry of loaded models (SQL entry layer side).
 *
 * Each model is one position-independent image (its kind decides the layout) in a pinned
 * DSM segment; a small control block in the main shared memory maps names to segments.
 * Other modules only acquire a model by name and read its image; they never map memory.
 */
#ifndef VARFORMER_MODEL_STORE_H
#define VARFORMER_MODEL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"
#include "varformer/common/json.h"
#include "varformer/checkpoint/model_kind.h"

typedef struct VfModelRef
{
	const char *name;
	VfModelKind kind;
	const void *image;			/* read-only, valid until the end of the current transaction */
	size_t		size;
	uint64_t	generation;		/* changes whenever the name is (re)loaded */
} VfModelRef;

/*
 * Looks a model up by name, attaching its segment in this backend; after a shared-memory
 * reset it reloads the model from the persisted catalog (checking sha256). ERROR when unknown.
 */
extern const VfModelRef *vf_model_acquire(const char *name);

/*
 * Backend-local prepared state per model generation (a built encoder, a tokenizer, a gene
 * index), so it is made once per backend and dropped when the model is replaced.
 */
extern void *vf_model_cache_get(const VfModelRef *m);
extern void vf_model_cache_set(const VfModelRef *m, void *state, void (*free_fn) (void *));

/* The kind's name as the models view and error messages show it. */
extern const char *vf_model_kind_name(VfModelKind kind);

/* Called from _PG_init: GUCs and the shmem request/startup hooks. */
extern void vf_model_store_init(void);
/* The "varformer" LWLock tranche (for locks in DSM), or -1 when not in shared_preload_libraries. */
extern int	vf_model_store_lock_tranche(void);

#endif
