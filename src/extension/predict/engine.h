/*
 * engine.h: the engine's server-side settings (SQL entry layer only).
 */
#ifndef VARFORMER_ENGINE_H
#define VARFORMER_ENGINE_H

#include "varformer/common/error.h"

/* varformer.blas_threads: BLAS threads per backend (default 1: parallel workers give the cores). */
extern int	vf_blas_threads;
/* varformer.max_scratch_memory (kB): activation buffers one backend may hold (workspace.h). */
extern int	vf_max_scratch_memory_kb;

/* Called from _PG_init: registers the engine's GUCs. Never touches BLAS (see blas.h). */
extern void vf_engine_init(void);

/*
 * Raises a failed forward pass of model over n units ("tokens", "bases"): the scratch limit
 * with what the shape needed when that is why it failed, else err as it is.
 */
extern void vf_forward_ereport(VfError *err, const char *model, int n, const char *unit) pg_attribute_noreturn();

#endif
