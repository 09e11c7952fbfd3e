/*
 * varformer.c: the module's entry point.
 *
 * _PG_init runs in the postmaster (shared_preload_libraries) and in every backend; it only
 * registers GUCs and hooks. Nothing here may start threads or open BLAS (see blas.h).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "common/file_access.h"
#include "predict/engine.h"
#include "predict/jit_policy.h"
#include "predict/prediction_cache.h"
#include "predict/progress.h"
#include "predict/row_errors.h"
#include "predict/row_parallel.h"
#include "store/model_store.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	vf_model_store_init();
	vf_engine_init();
	vf_file_access_init();
	vf_row_parallel_init();
	vf_jit_policy_init();
	vf_row_errors_init();
	if (process_shared_preload_libraries_in_progress)
	{
		vf_progress_init();
		vf_row_errors_shmem_init();
	}
	vf_prediction_cache_init();
}
