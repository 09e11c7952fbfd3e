/*
 * fft.c: real FFT of a power-of-two length (see fft.h).
 *
 * A real signal of n points is packed as m = n/2 complex points z[t] = x[2t] + i x[2t+1],
 * transformed by an iterative radix-2 decimation-in-time FFT, then split into the even and
 * odd halves' spectra E, O and recombined X[k] = E[k] + W^k O[k] (W = e^{-2 pi i / n}).
 * The inverse undoes each step. Twiddles are computed in double, one sin/cos per entry (no
 * recurrence, whose error grows with n), and stored per stage so every butterfly loop reads
 * them contiguously.
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
	uint32_t   *rev;			/* bit reversal of log2(m) bits */
	float	   *twr,
			   *twi;			/* stage h at [h, 2h): e^{-2 pi i j / 2h}, j < h */
	float	   *pwr,
			   *pwi;			/* W^k for k <= m/2 */
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
	free(p->rev);
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
	p->rev = malloc(sizeof(uint32_t) * p->m);
	p->twr = malloc(sizeof(float) * p->m);
	p->twi = malloc(sizeof(float) * p->m);
	p->pwr = malloc(sizeof(float) * (p->m / 2 + 1));
	p->pwi = malloc(sizeof(float) * (p->m / 2 + 1));
	if (!p->rev || !p->twr || !p->twi || !p->pwr || !p->pwi)
	{
		vf_fft_free(p);
		return NULL;
	}
	for (size_t i = 0; i < p->m; i++)
	{
		uint32_t	r = 0;

		for (int b = 0; b < bits; b++)
			r |= (uint32_t) ((i >> b) & 1) << (bits - 1 - b);
		p->rev[i] = r;
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
	for (size_t k = 0; k <= p->m / 2; k++)
	{
		double		a = -2.0 * M_PI * (double) k / (double) n;

		p->pwr[k] = (float) cos(a);
		p->pwi[k] = (float) sin(a);
	}
	return p;
}

/* One radix-2 stage of half-size h over [from, to); sgn = -1 conjugates the twiddles. */
VF_TARGET_CLONES
static void
stage(float *restrict re, float *restrict im, size_t from, size_t to, size_t h,
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

/* The first two stages together (h = 1, 2: too short for the generic loop). */
static void
stages_12(float *restrict re, float *restrict im, size_t from, size_t to, float sgn)
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

/* In-place complex FFT of m points already in bit-reversed order. */
static void
complex_fft(const VfFft *p, float *re, float *im, float sgn)
{
	size_t		m = p->m,
				block = m < BLOCK ? m : BLOCK;

	for (size_t b = 0; b < m; b += block)
	{
		size_t		h = 1;

		if (block >= 4)
		{
			stages_12(re, im, b, b + block, sgn);
			h = 4;
		}
		for (; h < block; h <<= 1)
			stage(re, im, b, b + block, h, p->twr + h, p->twi + h, sgn);
	}
	for (size_t h = block; h < m; h <<= 1)
		stage(re, im, 0, m, h, p->twr + h, p->twi + h, sgn);
}

static void
bit_reverse(const VfFft *p, float *re, float *im)
{
	for (size_t i = 0; i < p->m; i++)
	{
		size_t		r = p->rev[i];

		if (i < r)
		{
			float		t = re[i];

			re[i] = re[r];
			re[r] = t;
			t = im[i];
			im[i] = im[r];
			im[r] = t;
		}
	}
}

void
vf_fft_forward(const VfFft *p, const float *x, size_t len, float *re, float *im)
{
	size_t		m = p->m;

	if (len > p->n)
		len = p->n;
	/* pack x[2t] + i x[2t+1] straight into bit-reversed places */
	for (size_t t = 0; t < m; t++)
	{
		size_t		r = p->rev[t];

		re[r] = 2 * t < len ? x[2 * t] : 0.0f;
		im[r] = 2 * t + 1 < len ? x[2 * t + 1] : 0.0f;
	}
	complex_fft(p, re, im, 1.0f);

	/* X[k] = E[k] + W^k O[k]; E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i */
	{
		float		z0r = re[0],
					z0i = im[0];

		re[0] = z0r + z0i;
		im[0] = 0.0f;
		re[m] = z0r - z0i;
		im[m] = 0.0f;
	}
	for (size_t k = 1; k <= m / 2; k++)
	{
		size_t		q = m - k;
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
	for (size_t k = 1; k <= m / 2; k++)
	{
		size_t		q = m - k;
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
	bit_reverse(p, re, im);
	complex_fft(p, re, im, -1.0f);
	for (size_t t = 0; t < m; t++)
	{
		if (2 * t < len)
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
