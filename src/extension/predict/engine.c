/*
 * engine.c: the engine's server-side settings (engine.h).
 *
 * Only registers the GUCs: OpenBLAS itself is opened on first use in a backend
 * (vf_blas_init), never in the postmaster that runs _PG_init.
 *
 * Both are resources of the whole machine that a query takes per backend, so only a
 * superuser (or a role a superuser configured with ALTER ROLE ... SET) changes them:
 * blas_threads multiplies the threads each backend runs (256 on a 2-core machine starves
 * every other session), and max_scratch_memory bounds activation buffers that grow as the
 * square of the tokens and are kept for the backend's life.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "common/error_report.h"
#include "predict/engine.h"
#include "varformer/models/workspace.h"

int			vf_blas_threads = 1;
int			vf_max_scratch_memory_kb = 1024 * 1024;

static void
assign_scratch(int newval, void *extra)
{
	vf_workspace_set_limit((size_t) newval * 1024);
}

void
vf_engine_init(void)
{
	DefineCustomIntVariable("varformer.blas_threads",
							"Threads OpenBLAS uses for one backend's model computations.",
							"The default 1 leaves the cores to parallel workers; raise it for "
							"a single large query on an otherwise idle server.",
							&vf_blas_threads,
							1, 1, 256,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("varformer.max_scratch_memory",
							"Activation (scratch) memory one backend's forward passes may hold.",
							"Checked before the buffers for an input's shape are allocated; they "
							"grow as the square of the tokens and are kept for the next call.",
							&vf_max_scratch_memory_kb,
							1024 * 1024, 64, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, assign_scratch, NULL);
}

void
vf_forward_ereport(VfError *err, const char *model, int n, const char *unit)
{
	size_t		need = vf_workspace_refused();

	if (need > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model \"%s\" needs %zu bytes of scratch memory for %d %s, more than varformer.max_scratch_memory (%d kB)",
						model, need, n, unit, vf_max_scratch_memory_kb),
				 errhint("Pass a shorter input, or have a superuser raise varformer.max_scratch_memory.")));
	vf_ereport(err);
}
