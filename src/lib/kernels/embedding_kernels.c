/*
 * embedding_kernels.c: the distance, norm and element-wise loops behind the embedding type.
 *
 * Plain C on purpose: the Makefile compiles *_kernels.o with -fassociative-math (plus
 * -fno-signed-zeros -fno-trapping-math), which lets GCC split each float reduction into
 * SIMD lanes, and VF_TARGET_CLONES adds AVX2+FMA and AVX-512 copies chosen at load time.
 *
 * Each reduction runs twice as fast in float as in double (no widening: one FMA per 16
 * elements on AVX-512), which keeps a scan memory-bound; but float squares overflow above
 * ~1.8e19 and underflow below ~1e-19. So the float pass is the fast path, and its result is
 * redone in double (where every finite float's square fits) when it is not finite or so
 * small that underflowed terms could matter. Below VF_TINY a float result is recomputed;
 * above it, terms lost to underflow (each under FLT_MIN, at most 16000 of them) are below
 * 2e-34 / 1e-26, far under float precision. The fallback is rare (zero vectors, exactly
 * orthogonal ones, extreme magnitudes) and costs one more pass.
 */
#include <math.h>

#include "varformer/kernels/embedding_kernels.h"
#include "varformer/common/simd.h"

#define VF_TINY 1e-26f

/* float fast paths */

VF_TARGET_CLONES static float
dot_f32(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

VF_TARGET_CLONES static float
l2sq_f32(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

VF_TARGET_CLONES static float
l1_f32(const float *a, const float *b, int n)
{
	float		s = 0.0f;

	for (int i = 0; i < n; i++)
		s += fabsf(a[i] - b[i]);
	return s;
}

VF_TARGET_CLONES static void
cosine_f32(const float *a, const float *b, int n, float *ab, float *aa, float *bb)
{
	float		sab = 0.0f,
				saa = 0.0f,
				sbb = 0.0f;

	for (int i = 0; i < n; i++)
	{
		sab += a[i] * b[i];
		saa += a[i] * a[i];
		sbb += b[i] * b[i];
	}
	*ab = sab;
	*aa = saa;
	*bb = sbb;
}

/* double slow paths: exact products, no overflow or underflow for any finite float */

VF_TARGET_CLONES static double
dot_f64(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += (double) a[i] * (double) b[i];
	return s;
}

VF_TARGET_CLONES static double
l2sq_f64(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
	{
		double		d = (double) a[i] - (double) b[i];

		s += d * d;
	}
	return s;
}

VF_TARGET_CLONES static double
l1_f64(const float *a, const float *b, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += fabs((double) a[i] - (double) b[i]);
	return s;
}

VF_TARGET_CLONES static void
cosine_f64(const float *a, const float *b, int n, double *ab, double *aa, double *bb)
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

/* public entry points: fast path, checked, else exact path */

double
vf_emb_dot(const float *a, const float *b, int n)
{
	float		s = dot_f32(a, b, n);

	if (isfinite(s) && fabsf(s) >= VF_TINY)
		return s;
	return dot_f64(a, b, n);
}

double
vf_emb_l2sq(const float *a, const float *b, int n)
{
	float		s = l2sq_f32(a, b, n);

	if (isfinite(s) && s >= VF_TINY)
		return s;
	return l2sq_f64(a, b, n);
}

/* No squares, so only overflow can spoil the float sum. */
double
vf_emb_l1(const float *a, const float *b, int n)
{
	float		s = l1_f32(a, b, n);

	if (isfinite(s))
		return s;
	return l1_f64(a, b, n);
}

double
vf_emb_normsq(const float *a, int n)
{
	float		s = dot_f32(a, a, n);

	if (isfinite(s) && s >= VF_TINY)
		return s;
	return dot_f64(a, a, n);
}

/*
 * a.b only needs to be finite: with |a|^2 and |b|^2 both above VF_TINY, whatever a.b lost
 * to underflow is negligible against |a||b|, the scale the similarity divides by.
 */
void
vf_emb_cosine_parts(const float *a, const float *b, int n, double *ab, double *aa, double *bb)
{
	float		fab,
				faa,
				fbb;

	cosine_f32(a, b, n, &fab, &faa, &fbb);
	if (isfinite(fab) && isfinite(faa) && isfinite(fbb) && faa >= VF_TINY && fbb >= VF_TINY)
	{
		*ab = fab;
		*aa = faa;
		*bb = fbb;
		return;
	}
	cosine_f64(a, b, n, ab, aa, bb);
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
