/*
 * model_acquire.c: vf_model_acquire, how every other module gets a model by name.
 *
 * Above both the shared-memory store and the catalog: shared memory first, and when it does
 * not hold the name (never loaded, unloaded, or lost in a restart or a shared-memory reset)
 * a reload from the catalog. Kept out of model_store.c so that the store never calls the
 * catalog, which calls the store.
 */
#include "postgres.h"

#include "store/model_registry.h"

const VfModelRef *
vf_model_acquire(const char *name)
{
	const VfModelRef *m = vf_model_store_attach(name);

	if (m == NULL && vf_model_catalog_reload(name))
		m = vf_model_store_attach(name);
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" is not loaded", name),
				 errhint("Load it with load_model('%s', path); the models view lists loaded models.", name)));
	return m;
}
