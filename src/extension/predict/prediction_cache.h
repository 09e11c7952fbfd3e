/*
 * prediction_cache.h: backend-local cache of deep model results keyed by their exact input
 * (prediction_cache.c says why backend-local). SQL entry layer only.
 */
#ifndef VARFORMER_PREDICTION_CACHE_H
#define VARFORMER_PREDICTION_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* varformer.prediction_cache_mb */
extern int	vf_prediction_cache_mb;

/* Copies the n floats stored under key into out; counts a hit or a miss. */
extern bool vf_prediction_cache_get(const void *key, size_t klen, float *out, int n);
/* Stores n floats under key (evicting the least recently used); never throws. */
extern void vf_prediction_cache_put(const void *key, size_t klen, const float *val, int n);

/* Called from _PG_init: the GUC. */
extern void vf_prediction_cache_init(void);

#endif
