/*
 * embedding.h: the `embedding` SQL type's on-disk value and its checks (SQL layer).
 */
#ifndef VARFORMER_EXT_EMBEDDING_H
#define VARFORMER_EXT_EMBEDDING_H

#include "postgres.h"
#include "fmgr.h"

#include "varformer/kernels/embedding_kernels.h"

/*
 * On disk: varlena header, int16 dim, int16 unused (always 0, reserved), dim float4s.
 * Same layout as pgvector's vector, so values are 8 + 4 * dim bytes.
 */
typedef struct Embedding
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int16		dim;
	int16		unused;
	float		x[FLEXIBLE_ARRAY_MEMBER];
} Embedding;

#define EMBEDDING_SIZE(dim)		(offsetof(Embedding, x) + sizeof(float) * (dim))
#define DatumGetEmbedding(d)	((Embedding *) PG_DETOAST_DATUM(d))
#define PG_GETARG_EMBEDDING_P(n) DatumGetEmbedding(PG_GETARG_DATUM(n))
#define PG_RETURN_EMBEDDING_P(e) PG_RETURN_POINTER(e)

extern Embedding *vf_embedding_new(int dim);
/* Raise the right error unless 1 <= dim <= VF_EMBEDDING_MAX_DIM. */
extern void vf_embedding_check_dim(int dim);
/* Raise unless typmod is -1 (unconstrained) or equal to dim. */
extern void vf_embedding_check_typmod(int dim, int32 typmod);
/* Raise unless every element is finite (the value names the first bad element). */
extern void vf_embedding_check_finite(const Embedding *e, const char *what);

#endif
