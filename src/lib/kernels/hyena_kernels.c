/*
 * hyena_kernels.c: element-wise and layout pieces of the Hyena operator (see hyena_kernels.h).
 */
#include <math.h>
#include <stdint.h>

#include "exp_vec.h"
#include "varformer/common/simd.h"
#include "varformer/kernels/hyena_kernels.h"

/*
 * sin written so that loops calling it vectorize (libm's sinf is a call per element):
 * x = k pi + r with pi split in three (Cody-Waite: k pi is exact for |k| < 2^12, so
 * arguments up to ~1e4 keep float accuracy), sin r by its Taylor series to r^13 on
 * |r| <= pi/2 (truncation below 1e-9), the sign of (-1)^k through the sign bit.
 */
static inline float
sin_vec(float x)
{
	float		k = rintf(x * 0.318309886183790672f);
	float		r = x - k * 3.140625f;

	r = r - k * 9.675025939941406e-4f;
	r = r - k * 1.5099580252808664e-07f;
	float		r2 = r * r;
	float		s = r * (1.0f + r2 * (-1.6666666666666666e-1f + r2 * (8.3333333333333332e-3f +
					r2 * (-1.9841269841269841e-4f + r2 * (2.7557319223985893e-6f +
					r2 * (-2.5052108385441720e-8f + r2 * 1.6059043836821613e-10f))))));
	union
	{
		float		f;
		uint32_t	u;
	}			v;

	v.f = s;
	v.u ^= ((uint32_t) (int32_t) k & 1u) << 31;
	return v.f;
}

VF_TARGET_CLONES
void
vf_sin_scaled(float *x, size_t rows, int cols, int ld, const float *restrict freq)
{
	for (size_t r = 0; r < rows; r++)
	{
		float	   *restrict row = x + r * ld;

		for (int c = 0; c < cols; c++)
			row[c] = sin_vec(freq[c] * row[c]);
	}
}

VF_TARGET_CLONES
void
vf_short_conv3_gate(float *u, size_t rows, int d, float *restrict p1, float *restrict p2,
					const float *restrict w0, const float *restrict w1,
					const float *restrict w2, const float *restrict b)
{
	int			width = 3 * d;

	for (size_t t = 0; t < rows; t++)
	{
		float	   *restrict row = u + t * width;

		for (int c = 0; c < width; c++)
		{
			float		cur = row[c];

			row[c] = w0[c] * p2[c] + w1[c] * p1[c] + w2[c] * cur + b[c];
			p2[c] = p1[c];
			p1[c] = cur;
		}
		for (int c = 0; c < d; c++)
			row[2 * d + c] *= row[d + c];
	}
}

/* Tiles of 64 rows: each source row's cols values are one or two cache lines. */
#define TILE 64

void
vf_gather_cols(float *dst, size_t ldd, const float *src, size_t lds, int cols, size_t rows)
{
	for (size_t t0 = 0; t0 < rows; t0 += TILE)
	{
		size_t		t1 = t0 + TILE < rows ? t0 + TILE : rows;

		for (int j = 0; j < cols; j++)
		{
			float	   *restrict d = dst + j * ldd;

			for (size_t t = t0; t < t1; t++)
				d[t] = src[t * lds + j];
		}
	}
}

VF_TARGET_CLONES
void
vf_decay_window(float *k, size_t ldk, int cols, size_t rows, const float *restrict t_pos,
				const float *restrict deltas, float shift)
{
	for (int j = 0; j < cols; j++)
	{
		float	   *restrict row = k + j * ldk;
		float		a = -fabsf(deltas[j]);

		for (size_t t = 0; t < rows; t++)
			row[t] *= exp_vec(t_pos[t] * a) + shift;
	}
}

void
vf_scatter_gate(float *u, size_t ldu, size_t off, const float *y, const float *v, size_t ld,
				int cols, size_t rows, const float *bias)
{
	for (size_t t0 = 0; t0 < rows; t0 += TILE)
	{
		size_t		t1 = t0 + TILE < rows ? t0 + TILE : rows;

		for (int j = 0; j < cols; j++)
		{
			const float *yj = y + j * ld,
					   *vj = v + j * ld;
			float		bj = bias[j];

			for (size_t t = t0; t < t1; t++)
				u[t * ldu + off + j] = (yj[t] + bj * vj[t]) * u[t * ldu + j];
		}
	}
}
