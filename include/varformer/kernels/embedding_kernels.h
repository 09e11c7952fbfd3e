/*
 * embedding_kernels.h: the numeric kernels behind the `embedding` SQL type (plain C).
 *
 * Plain C over float arrays so they can be benchmarked and tested outside the server; built
 * with -fassociative-math and VF_TARGET_CLONES, so float sums are reassociated into SIMD lanes
 * (results may differ from a strict left-to-right sum in the last bits, as in pgvector).
 * The SQL type itself lives in src/extension/types/embedding.h.
 */
#ifndef VARFORMER_KERNELS_EMBEDDING_KERNELS_H
#define VARFORMER_KERNELS_EMBEDDING_KERNELS_H

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

#endif
