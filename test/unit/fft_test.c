/*
 * fft_test.c: the real FFT (src/lib/kernels/fft.c) against a direct DFT in double, the
 * inverse against the input, and a causal convolution through both against the direct sum,
 * for every power of two from 4 to 2^14 and zero-padded inputs of odd lengths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "varformer/kernels/fft.h"

static int	failures;

static void
expect(int ok, const char *what, size_t n, double err)
{
	if (!ok)
	{
		printf("FAIL %s n=%zu err %.3e\n", what, n, err);
		failures++;
	}
}

static double
urand(void)
{
	return rand() / (double) RAND_MAX * 2.0 - 1.0;
}

int
main(void)
{
	srand(7);
	expect(vf_fft_plan(6) == NULL, "non-power-of-two plan refused", 6, 0);
	expect(vf_fft_plan(2) == NULL, "too-short plan refused", 2, 0);
	expect(vf_fft_size_for(1000002) == 1048576 && vf_fft_size_for(2000003) == 2097152, "size_for", 1000002, 0);
	for (size_t n = 4; n <= ((size_t) 1 << 14); n <<= 1)
	{
		VfFft	   *p = vf_fft_plan(n);
		size_t		m = n / 2,
					len = n / 2 + 1 < n ? n / 2 + 1 : n;	/* odd, zero-padded */
		float	   *x = calloc(n, sizeof(float)),
				   *y = calloc(n, sizeof(float)),
				   *re = calloc(m + 1, sizeof(float)),
				   *im = calloc(m + 1, sizeof(float)),
				   *kre = calloc(m + 1, sizeof(float)),
				   *kim = calloc(m + 1, sizeof(float)),
				   *k = calloc(n, sizeof(float));
		double		maxerr = 0,
					maxref = 0;

		for (size_t t = 0; t < len; t++)
			x[t] = (float) urand();
		vf_fft_forward(p, x, len, re, im);
		/* against the direct DFT, all n/2 + 1 bins (checked up to 2^11: O(n^2)) */
		if (n <= 2048)
		{
			for (size_t f = 0; f <= m; f++)
			{
				double		sr = 0,
							si = 0;

				for (size_t t = 0; t < len; t++)
				{
					double		a = -2 * M_PI * (double) ((f * t) % n) / n;

					sr += x[t] * cos(a);
					si += x[t] * sin(a);
				}
				/* bin f is at the bit reversal of f (log2(m) bits); X[m] last */
				size_t		pos = f == m ? m : 0;

				for (size_t b = 1, r = m >> 1; f < m && b < m; b <<= 1, r >>= 1)
					if (f & b)
						pos |= r;
				maxerr = fmax(maxerr, fmax(fabs(sr - re[pos]), fabs(si - im[pos])));
				maxref = fmax(maxref, hypot(sr, si));
			}
			expect(maxerr / maxref < 1e-5, "forward vs direct DFT", n, maxerr / maxref);
		}
		/* round trip */
		vf_fft_inverse(p, re, im, y, n);
		maxerr = 0;
		for (size_t t = 0; t < n; t++)
			maxerr = fmax(maxerr, fabs(y[t] - (t < len ? x[t] : 0.0f)));
		expect(maxerr < 1e-5, "inverse(forward(x)) == x", n, maxerr);

		/* causal convolution of two signals of L = n/2 points, first L outputs */
		{
			size_t		L = n / 2;
			double		e = 0,
						r = 0;

			for (size_t t = 0; t < L; t++)
				k[t] = (float) urand();
			vf_fft_forward(p, x, L, re, im);
			vf_fft_forward(p, k, L, kre, kim);
			vf_fft_mul(re, im, kre, kim, m + 1);
			vf_fft_inverse(p, re, im, y, L);
			for (size_t t = 0; t < L && (n <= 4096); t++)
			{
				double		s = 0;

				for (size_t j = 0; j <= t; j++)
					s += (double) x[t - j] * k[j];
				e = fmax(e, fabs(s - y[t]));
				r = fmax(r, fabs(s));
			}
			if (n <= 4096)
				expect(e / r < 1e-5, "convolution vs direct sum", n, e / r);
		}
		vf_fft_free(p);
		free(x);
		free(y);
		free(re);
		free(im);
		free(kre);
		free(kim);
		free(k);
	}
	printf("%s\n", failures ? "fft_test: FAILED" : "fft_test: ok");
	return failures ? 1 : 0;
}
