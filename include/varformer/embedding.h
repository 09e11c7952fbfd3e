/*
 * embedding.h: the `embedding` SQL type (a float4 vector) and its numeric kernels.
 *
 * Two layers share this header. The kernels (src/embedding_kernels.c) are plain C over
 * float arrays so they can be benchmarked and tested outside the server; they are built with
 * -fassociative-math and VF_TARGET_CLONES, so float sums are reassociated into SIMD lanes
 * (results may differ from a strict left-to-right sum in the last bits, as in pgvector).
 * The on-disk value and its helpers (src/embedding.c, src/embedding_ops.c) need postgres.h
 * and are only visible when it was included first.
 */
#ifndef VARFORMER_EMBEDDING_H
#define VARFORMER_EMBEDDING_H

#include <stdbool.h>
#include <stdint.h>

/* Largest dimension a value or typmod may have (same cap as pgvector's vector). */
#define VF_EMBEDDING_MAX_DIM 16000

/* --- kernels: plain C, n >= 0, no aliasing requirements beyond the obvious --- */
extern double vf_emb_dot(const float *a, const float *b, int n);
extern double vf_emb_l2sq(const float *a, const float *b, int n);
extern double vf_emb_l1(const float *a, const float *b, int n);
extern double vf_emb_normsq(const float *a, int n);
/* One pass over both inputs: a.b, a.a and b.b (cosine distance). */
extern void vf_emb_cosine_parts(const float *a, const float *b, int n,
								double *ab, double *aa, double *bb);
/* 1 - a.b / (|a| |b|), clamped to [0, 2]; NaN when either input is the zero vector. */
extern double vf_emb_cosine_distance(const float *a, const float *b, int n);
extern void vf_emb_add(float *out, const float *a, const float *b, int n);
extern void vf_emb_sub(float *out, const float *a, const float *b, int n);
extern void vf_emb_mul(float *out, const float *a, const float *b, int n);
extern void vf_emb_scale(float *out, const float *a, float s, int n);
/* acc[i] += a[i] in double (aggregates). */
extern void vf_emb_accum(double *acc, const float *a, int n);
extern void vf_emb_accum_double(double *acc, const double *a, int n);
/* Index of the first NaN or infinite element, or -1. */
extern int	vf_emb_first_nonfinite(const float *a, int n);

#ifdef PG_VERSION_NUM

#include "fmgr.h"

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

#endif							/* PG_VERSION_NUM */

#endif
