/*
 * workspace.h: the per-process activation buffers every architecture's run state points into
 * (plain C).
 *
 * A process runs one forward pass at a time, so one set of buffers, grown to the largest
 * shape met and never shrunk, serves every model a backend uses (several models, or one
 * reloaded) instead of one set per model. Slots are numbered per architecture from 0; two
 * architectures reuse the same slots because their passes never overlap.
 */
#ifndef VARFORMER_MODELS_WORKSPACE_H
#define VARFORMER_MODELS_WORKSPACE_H

#include <stddef.h>

#define VF_WORKSPACE_SLOTS 16

/* Buffer `slot` holding at least n floats, 64-byte aligned; NULL when out of memory. */
float	   *vf_workspace_get(int slot, size_t n);

/*
 * Bytes all slots may hold together (0: no limit, the default). A request that would grow the
 * buffers past it is refused (vf_workspace_get returns NULL) before anything is allocated.
 */
void		vf_workspace_set_limit(size_t bytes);

/*
 * After a forward pass failed: the bytes the refused shape needed in all (what the buffers
 * would hold), 0 when no request was refused for the limit. Forgets the refusal.
 */
size_t		vf_workspace_refused(void);

/* n floats, 64-byte aligned (the sgemm packing routines' fast path); free() releases it. */
float	   *vf_alloc_floats(size_t n);

#endif
