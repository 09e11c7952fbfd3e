/*
 * string_pool.h: a growable pool of NUL-terminated strings, each stored once (interned), for
 * the PredictDB reader (private to src/lib/scoring). Strings are offsets into one buffer,
 * so the buffer is copied into an image as it is; offset 0 is the empty string.
 */
#ifndef VARFORMER_STRING_POOL_H
#define VARFORMER_STRING_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"

typedef struct VfStringPool
{
	char	   *buf;
	size_t		len,
				cap;
	uint32_t   *slots;			/* offset + 1 of interned strings */
	size_t		n_slot,
				n_used;
} VfStringPool;

int			vf_string_pool_init(VfStringPool *p, VfError *err);
void		vf_string_pool_free(VfStringPool *p);
/* The offset of s (len bytes, no NUL inside) in the pool, adding it once; -1 with err. */
int64_t		vf_string_pool_intern(VfStringPool *p, const char *s, size_t len, VfError *err);

#define VF_POOL_STR(p, off) ((p)->buf + (off))

#endif
