/*
 * varformer.c: the module's entry point.
 *
 * _PG_init runs in the postmaster (shared_preload_libraries) and in every backend; it only
 * registers GUCs and hooks. Nothing here may start threads or open BLAS (see blas.h).
 */
#include "postgres.h"

#include "fmgr.h"

#include "predict/engine.h"
#include "predict/prediction_cache.h"
#include "store/model_store.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	vf_model_store_init();
	vf_engine_init();
	vf_prediction_cache_init();
}
