/*
 * tensor_bind.h: binding a model's weights to checkpoint tensors by name and shape, shared by
 * every architecture's binder (plain C, private to src/lib/models).
 *
 * After the first failure every call returns NULL and leaves err alone, so a binder can ask
 * for all its tensors in a row and err names the first problem.
 */
#ifndef VARFORMER_MODELS_TENSOR_BIND_H
#define VARFORMER_MODELS_TENSOR_BIND_H

#include <stdbool.h>
#include <stdint.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/common/json.h"

typedef struct VfBinder
{
	const VfCheckpoint *ckpt;
	const char *prefix;			/* prepended to every name asked for */
	VfError    *err;
	bool		failed;
} VfBinder;

/* Tensor prefix+name, or NULL. */
const VfTensorView *vf_bind_lookup(VfBinder *b, const char *name);

/*
 * The tensor named by fmt (prefix added) with shape [d0] (d1 < 0) or [d0, d1]; NULL and
 * err set when absent or misshapen.
 */
const float *vf_bind_need(VfBinder *b, int64_t d0, int64_t d1, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* As vf_bind_need, but an absent tensor is NULL without error. */
const float *vf_bind_maybe(VfBinder *b, int64_t d0, int64_t d1, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* The tensor with exactly the ndim dimensions in shape; optional: absent is NULL, no error. */
const float *vf_bind_shape(VfBinder *b, bool optional, int ndim, const int64_t *shape,
						   const char *fmt,...) __attribute__((format(printf, 5, 6)));

/* Integer config member within [lo, hi]; dflt < lo means required. */
int			vf_cfg_int(const VfJson *config, const char *key, int64_t dflt, int64_t lo,
					   int64_t hi, int *out, VfError *err);

#endif
