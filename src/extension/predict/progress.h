/*
 * progress.h: per-process progress of prediction and encoding calls (view varformer_progress).
 */
#ifndef VARFORMER_EXT_PROGRESS_H
#define VARFORMER_EXT_PROGRESS_H

#include <stdbool.h>

/* Counts one call of `function` on `model` in this process's slot for the current statement. */
extern void vf_progress_call(const char *function, const char *model, bool cache_hit);

/* Counts the call last counted as answered from the prediction cache. */
extern void vf_progress_cache_hit(void);

/* Called from _PG_init (shared_preload_libraries): the shared-memory request and startup hooks. */
extern void vf_progress_init(void);

#endif
