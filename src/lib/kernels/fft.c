/*
 * fft.c: real FFT of a power-of-two length (see fft.h).
 *
 * A real signal of n points is packed as m = n/2 complex points z[t] = x[2t] + i x[2t+1]
 * and transformed by a radix-2 FFT, then split into the even and odd halves' spectra E, O
 * and recombined X[k] = E[k] + W^k O[k] (W = e^{-2 pi i / n}). The forward transform is
 * decimation in frequency (natural order in, bit-reversed order out) and the inverse
 * decimation in time (bit-reversed in, natural out), so no pass ever reorders the data: the
 * spectrum is kept in bit-reversed order, which a pointwise product does not mind, and the
 * pairs k, m - k the real split needs are mirror images inside each block [2^j, 2^(j+1)) of
 * that order. Twiddles are computed in double, one sin/cos per entry (no recurrence, whose
 * error grows with n), and stored per stage so every butterfly loop reads them contiguously;
 * the stages within a block of BLOCK points run while the block is in cache.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/common/simd.h"
#include "varformer/kernels/fft.h"

/* Complex points per block whose first stages run while the block is in cache (128 KB). */
#define BLOCK 8192

struct VfFft
{
	size_t		n,
				m;
	float	   *twr,
			   *twi;			/* stage h at [h, 2h): e^{-2 pi i j / 2h}, j < h */
	float	   *pwr,
			   *pwi;			/* W^rev(p) at position p < m of the bit-reversed spectrum */
};

size_t
vf_fft_size_for(size_t n)
{
	size_t		s = 4;

	while (s < n)
		s <<= 1;
	return s;
}

size_t
vf_fft_size(const VfFft *p)
{
	return p->n;
}

void
vf_fft_free(VfFft *p)
{
	if (p == NULL)
		return;
	free(p->twr);
	free(p->twi);
	free(p->pwr);
	free(p->pwi);
	free(p);
}

VfFft *
vf_fft_plan(size_t n)
{
	VfFft	   *p;
	int			bits = 0;

	if (n < 4 || n > ((size_t) 1 << 30) || (n & (n - 1)) != 0)
		return NULL;
	if ((p = calloc(1, sizeof(VfFft))) == NULL)
		return NULL;
	p->n = n;
	p->m = n / 2;
	while (((size_t) 1 << bits) < p->m)
		bits++;
	p->twr = malloc(sizeof(float) * p->m);
	p->twi = malloc(sizeof(float) * p->m);
	p->pwr = malloc(sizeof(float) * p->m);
	p->pwi = malloc(sizeof(float) * p->m);
	if (!p->twr || !p->twi || !p->pwr || !p->pwi)
	{
		vf_fft_free(p);
		return NULL;
	}
	p->twr[0] = 1.0f;
	p->twi[0] = 0.0f;
	for (size_t h = 1; h < p->m; h <<= 1)
		for (size_t j = 0; j < h; j++)
		{
			double		a = -M_PI * (double) j / (double) h;

			p->twr[h + j] = (float) cos(a);
			p->twi[h + j] = (float) sin(a);
		}
	for (size_t i = 0; i < p->m; i++)
	{
		size_t		k = 0;
		double		a;

		for (int b = 0; b < bits; b++)
			k |= ((i >> b) & 1) << (bits - 1 - b);
		a = -2.0 * M_PI * (double) k / (double) n;
		p->pwr[i] = (float) cos(a);
		p->pwi[i] = (float) sin(a);
	}
	return p;
}

/* One decimation-in-time stage of half-size h over [from, to); sgn = -1 conjugates the twiddles. */
VF_TARGET_CLONES
static void
stage_dit(float *restrict re, float *restrict im, size_t from, size_t to, size_t h,
		  const float *restrict wr, const float *restrict wi0, float sgn)
{
	for (size_t i = from; i < to; i += 2 * h)
	{
		float	   *restrict ar = re + i,
				   *restrict ai = im + i,
				   *restrict br = re + i + h,
				   *restrict bi = im + i + h;

		for (size_t j = 0; j < h; j++)
		{
			float		wi = sgn * wi0[j];
			float		tr = br[j] * wr[j] - bi[j] * wi;
			float		ti = br[j] * wi + bi[j] * wr[j];

			br[j] = ar[j] - tr;
			bi[j] = ai[j] - ti;
			ar[j] += tr;
			ai[j] += ti;
		}
	}
}

/* One decimation-in-frequency stage of half-size h over [from, to) (forward twiddles). */
VF_TARGET_CLONES
static void
stage_dif(float *restrict re, float *restrict im, size_t from, size_t to, size_t h,
		  const float *restrict wr, const float *restrict wi)
{
	for (size_t i = from; i < to; i += 2 * h)
	{
		float	   *restrict ar = re + i,
				   *restrict ai = im + i,
				   *restrict br = re + i + h,
				   *restrict bi = im + i + h;

		for (size_t j = 0; j < h; j++)
		{
			float		dr = ar[j] - br[j],
						di = ai[j] - bi[j];

			ar[j] += br[j];
			ai[j] += bi[j];
			br[j] = dr * wr[j] - di * wi[j];
			bi[j] = dr * wi[j] + di * wr[j];
		}
	}
}

/*
 * The first decimation-in-frequency stage when the second half of the input is zero (a
 * zero-padded signal): a + 0 and (a - 0) w.
 */
VF_TARGET_CLONES
static void
stage_dif_half_zero(float *restrict re, float *restrict im, size_t h, const float *restrict wr,
					const float *restrict wi)
{
	for (size_t j = 0; j < h; j++)
	{
		float		ar = re[j],
					ai = im[j];

		re[j + h] = ar * wr[j] - ai * wi[j];
		im[j + h] = ar * wi[j] + ai * wr[j];
	}
}

/* The last decimation-in-time stage's first half only (outputs [0, h): the caller's len). */
VF_TARGET_CLONES
static void
stage_dit_first_half(float *restrict re, float *restrict im, size_t h, const float *restrict wr,
					 const float *restrict wi0, float sgn)
{
	for (size_t j = 0; j < h; j++)
	{
		float		wi = sgn * wi0[j];
		float		br = re[j + h],
					bi = im[j + h];

		re[j] += br * wr[j] - bi * wi;
		im[j] += br * wi + bi * wr[j];
	}
}

/* The two stages of half-size 1 and 2 together (too short for the generic loops). */
static void
stages_12_dit(float *restrict re, float *restrict im, size_t from, size_t to, float sgn)
{
	for (size_t i = from; i < to; i += 4)
	{
		float		r0 = re[i] + re[i + 1],
					i0 = im[i] + im[i + 1],
					r1 = re[i] - re[i + 1],
					i1 = im[i] - im[i + 1],
					r2 = re[i + 2] + re[i + 3],
					i2 = im[i + 2] + im[i + 3],
					r3 = re[i + 2] - re[i + 3],
					i3 = im[i + 2] - im[i + 3];
		/* (r3, i3) times e^{-i pi/2 sgn} = -i sgn */
		float		t3r = sgn * i3,
					t3i = -sgn * r3;

		re[i] = r0 + r2;
		im[i] = i0 + i2;
		re[i + 2] = r0 - r2;
		im[i + 2] = i0 - i2;
		re[i + 1] = r1 + t3r;
		im[i + 1] = i1 + t3i;
		re[i + 3] = r1 - t3r;
		im[i + 3] = i1 - t3i;
	}
}

static void
stages_21_dif(float *restrict re, float *restrict im, size_t from, size_t to)
{
	for (size_t i = from; i < to; i += 4)
	{
		float		s0r = re[i] + re[i + 2],
					s0i = im[i] + im[i + 2],
					d0r = re[i] - re[i + 2],
					d0i = im[i] - im[i + 2],
					s1r = re[i + 1] + re[i + 3],
					s1i = im[i + 1] + im[i + 3],
					/* (a1 - a3) times -i */
					d1r = im[i + 1] - im[i + 3],
					d1i = re[i + 3] - re[i + 1];

		re[i] = s0r + s1r;
		im[i] = s0i + s1i;
		re[i + 1] = s0r - s1r;
		im[i + 1] = s0i - s1i;
		re[i + 2] = d0r + d1r;
		im[i + 2] = d0i + d1i;
		re[i + 3] = d0r - d1r;
		im[i + 3] = d0i - d1i;
	}
}

/* Forward complex FFT of m points, natural order in, bit-reversed out; half_zero: z[m/2..) = 0. */
static void
fft_dif(const VfFft *p, float *re, float *im, int half_zero)
{
	size_t		m = p->m,
				block = m < BLOCK ? m : BLOCK,
				h = m / 2;

	if (half_zero && 2 * h > block)
	{
		stage_dif_half_zero(re, im, h, p->twr + h, p->twi + h);
		h /= 2;
	}
	for (; 2 * h > block; h /= 2)
		stage_dif(re, im, 0, m, h, p->twr + h, p->twi + h);
	for (size_t b = 0; b < m; b += block)
	{
		for (size_t g = block / 2; g >= 4; g /= 2)
			stage_dif(re, im, b, b + block, g, p->twr + g, p->twi + g);
		if (block >= 4)
			stages_21_dif(re, im, b, b + block);
		else
			stage_dif(re, im, b, b + block, 1, p->twr + 1, p->twi + 1);
	}
}

/*
 * Inverse complex FFT (unnormalized) of m points, bit-reversed in, natural order out; with
 * first_half only outputs [0, m/2) are computed.
 */
static void
fft_dit_inverse(const VfFft *p, float *re, float *im, int first_half)
{
	size_t		m = p->m,
				block = m < BLOCK ? m : BLOCK;

	for (size_t b = 0; b < m; b += block)
	{
		size_t		h = 1;

		if (block >= 4)
		{
			stages_12_dit(re, im, b, b + block, -1.0f);
			h = 4;
		}
		for (; h < block; h <<= 1)
			stage_dit(re, im, b, b + block, h, p->twr + h, p->twi + h, -1.0f);
	}
	for (size_t h = block; h < m; h <<= 1)
	{
		if (first_half && 2 * h == m)
			stage_dit_first_half(re, im, h, p->twr + h, p->twi + h, -1.0f);
		else
			stage_dit(re, im, 0, m, h, p->twr + h, p->twi + h, -1.0f);
	}
}

/*
 * Visits the pairs (p, q) of bit-reversed positions holding frequencies k and m - k:
 * mirror images inside each block [2^j, 2^(j+1)), j >= 0 (position 1 is k = m/2, its own pair).
 */
#define FOR_PAIRS(m, P, Q) \
	for (size_t blk_ = 1; blk_ < (m); blk_ <<= 1) \
		for (size_t P = blk_, Q = 2 * blk_ - 1; P <= Q; P++, Q--)

void
vf_fft_forward(const VfFft *p, const float *x, size_t len, float *re, float *im)
{
	size_t		m = p->m;

	if (len > p->n)
		len = p->n;
	for (size_t t = 0; t < m; t++)
	{
		re[t] = 2 * t < len ? x[2 * t] : 0.0f;
		im[t] = 2 * t + 1 < len ? x[2 * t + 1] : 0.0f;
	}
	fft_dif(p, re, im, len <= m);

	/* X[k] = E[k] + W^k O[k]; E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i */
	{
		float		z0r = re[0],
					z0i = im[0];

		re[0] = z0r + z0i;
		im[0] = 0.0f;
		re[m] = z0r - z0i;
		im[m] = 0.0f;
	}
	FOR_PAIRS(m, k, q)
	{
		float		ar = re[k],
					ai = im[k],
					br = re[q],
					bi = im[q];
		float		er = 0.5f * (ar + br),
					ei = 0.5f * (ai - bi),
					or_ = 0.5f * (ai + bi),
					oi = -0.5f * (ar - br);
		float		wr = p->pwr[k],
					wi = p->pwi[k];
		float		tr = wr * or_ - wi * oi,
					ti = wr * oi + wi * or_;

		re[k] = er + tr;
		im[k] = ei + ti;
		/* X[m-k] = conj(E[k]) - conj(W^k O[k]) */
		re[q] = er - tr;
		im[q] = -ei + ti;
	}
}

void
vf_fft_inverse(const VfFft *p, float *re, float *im, float *y, size_t len)
{
	size_t		m = p->m;
	float		scale = 1.0f / (float) m;

	if (len > p->n)
		len = p->n;
	/* Z[k] = E[k] + i O[k]; E = (X[k] + conj X[m-k]) / 2, O = (X[k] - conj X[m-k]) conj(W^k) / 2 */
	{
		float		x0 = re[0],
					xm = re[m];

		re[0] = 0.5f * (x0 + xm);
		im[0] = 0.5f * (x0 - xm);
	}
	FOR_PAIRS(m, k, q)
	{
		float		ar = re[k],
					ai = im[k],
					br = re[q],
					bi = im[q];
		float		er = 0.5f * (ar + br),
					ei = 0.5f * (ai - bi),
					dr = 0.5f * (ar - br),
					di = 0.5f * (ai + bi);
		float		wr = p->pwr[k],
					wi = -p->pwi[k];
		float		or_ = dr * wr - di * wi,
					oi = dr * wi + di * wr;

		/* Z[k] = E + i O; Z[m-k] = conj(E) + i conj(O) */
		re[k] = er - oi;
		im[k] = ei + or_;
		re[q] = er + oi;
		im[q] = -ei + or_;
	}
	fft_dit_inverse(p, re, im, len <= m);
	for (size_t t = 0; 2 * t < len; t++)
	{
		y[2 * t] = re[t] * scale;
		if (2 * t + 1 < len)
			y[2 * t + 1] = im[t] * scale;
	}
}

VF_TARGET_CLONES
void
vf_fft_mul(float *restrict are, float *restrict aim, const float *restrict bre,
		   const float *restrict bim, size_t count)
{
	for (size_t k = 0; k < count; k++)
	{
		float		r = are[k] * bre[k] - aim[k] * bim[k];

		aim[k] = are[k] * bim[k] + aim[k] * bre[k];
		are[k] = r;
	}
}
