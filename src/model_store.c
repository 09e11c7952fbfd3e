/* model_store.c: shared-memory model registry (being built in the model-store issue). */
#include "postgres.h"

#include "varformer/model_store.h"

void
vf_model_store_init(void)
{
}
