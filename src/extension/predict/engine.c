/*
 * engine.c: the engine's server-side settings (engine.h).
 *
 * Only registers the GUC: OpenBLAS itself is opened on first use in a backend
 * (vf_blas_init), never in the postmaster that runs _PG_init.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "predict/engine.h"

int			vf_blas_threads = 1;

void
vf_engine_init(void)
{
	DefineCustomIntVariable("varformer.blas_threads",
							"Threads OpenBLAS uses for one backend's model computations.",
							"The default 1 leaves the cores to parallel workers; raise it for "
							"a single large query on an otherwise idle server.",
							&vf_blas_threads,
							1, 1, 256,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
}
