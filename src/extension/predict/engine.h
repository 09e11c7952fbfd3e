/*
 * engine.h: the engine's server-side settings (SQL entry layer only).
 */
#ifndef VARFORMER_ENGINE_H
#define VARFORMER_ENGINE_H

/* varformer.blas_threads: BLAS threads per backend (default 1: parallel workers give the cores). */
extern int	vf_blas_threads;

/* Called from _PG_init: registers the engine's GUCs. Never touches BLAS (see blas.h). */
extern void vf_engine_init(void);

#endif
