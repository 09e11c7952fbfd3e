/*
 * embedding_kernels.c: the distance, norm and element-wise loops behind the embedding type.
 *
 * Plain C on purpose: the Makefile compiles *_kernels.o with -fassociative-math (plus
 * -fno-signed-zeros -fno-trapping-math), which lets GCC split each float reduction into
 * SIMD lanes, and VF_TARGET_CLONES adds AVX2+FMA and AVX-512 copies chosen at load time.
 * Reductions widen each element to double before multiplying and accumulate in double:
 * float squares overflow above ~1.8e19 and underflow below ~1e-19, and every finite
 * float's square fits a double, so distances and norms are right for every value the type
 * can hold. The widening costs little: the loops stay memory-bound (see test/bench).
 */
#include <math.h>

#include "varformer/embedding.h"
#include "varformer/simd.h"

VF_TARGET_CLONES double
vf_emb_dot(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += (double) a[i] * (double) b[i];
	return s;
}

VF_TARGET_CLONES double
vf_emb_l2sq(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		d = (double) a[i] - (double) b[i];

		s += d * d;
	}
	return s;
}

VF_TARGET_CLONES double
vf_emb_l1(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += fabs((double) a[i] - (double) b[i]);
	return s;
}

VF_TARGET_CLONES double
vf_emb_normsq(const float *a, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += (double) a[i] * (double) a[i];
	return s;
}

VF_TARGET_CLONES void
vf_emb_cosine_parts(const float *a, const float *b, int n, double *ab, double *aa, double *bb)
{
	double		sab = 0.0,
				saa = 0.0,
				sbb = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		x = a[i],
					y = b[i];

		sab += x * y;
		saa += x * x;
		sbb += y * y;
	}
	*ab = sab;
	*aa = saa;
	*bb = sbb;
}

double
vf_emb_cosine_distance(const float *a, const float *b, int n)
{
	double		ab,
				aa,
				bb,
				sim;

	vf_emb_cosine_parts(a, b, n, &ab, &aa, &bb);
	/* The angle to a zero vector is undefined: say so with NaN rather than invent one. */
	if (aa == 0.0 || bb == 0.0)
		return NAN;
	sim = ab / sqrt(aa * bb);
	/* Rounding can push |sim| a hair past 1; distances outside [0, 2] would be nonsense. */
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	return 1.0 - sim;
}

VF_TARGET_CLONES void
vf_emb_add(float *out, const float *a, const float *b, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

VF_TARGET_CLONES void
vf_emb_sub(float *out, const float *a, const float *b, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = a[i] - b[i];
}

VF_TARGET_CLONES void
vf_emb_mul(float *out, const float *a, const float *b, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = a[i] * b[i];
}

VF_TARGET_CLONES void
vf_emb_scale(float *out, const float *a, float s, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = a[i] * s;
}

VF_TARGET_CLONES void
vf_emb_accum(double *acc, const float *a, int n)
{
	for (int i = 0; i < n; i++)
		acc[i] += a[i];
}

VF_TARGET_CLONES void
vf_emb_accum_double(double *acc, const double *a, int n)
{
	for (int i = 0; i < n; i++)
		acc[i] += a[i];
}

int
vf_emb_first_nonfinite(const float *a, int n)
{
	for (int i = 0; i < n; i++)
		if (!isfinite(a[i]))
			return i;
	return -1;
}
