/*
 * fft_vs_fftw.c: varformer's real FFT (src/lib/kernels/fft.c) against FFTW 3 (single
 * precision, FFTW_MEASURE plans) on the sizes HyenaDNA's long convolution uses: the time of
 * one forward and one inverse real transform, and the largest difference of the spectra
 * relative to the largest magnitude. Built by test/bench/70_hyena.sh when fftw3.h is there:
 *
 *   fft_vs_fftw [LOG2_MIN [LOG2_MAX]]     (defaults 12 and 21: 4 Ki to 2 Mi points)
 */
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "varformer/kernels/fft.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	int			lo = argc > 1 ? atoi(argv[1]) : 12,
				hi = argc > 2 ? atoi(argv[2]) : 21;

	printf("%9s %12s %12s %8s %10s\n", "n", "varformer_us", "fftw_us", "ratio", "rel_diff");
	for (int b = lo; b <= hi; b++)
	{
		size_t		n = (size_t) 1 << b,
					m = n / 2;
		VfFft	   *p = vf_fft_plan(n);
		float	   *x = fftwf_malloc(sizeof(float) * n),
				   *y = fftwf_malloc(sizeof(float) * n),
				   *re = malloc(sizeof(float) * (m + 1)),
				   *im = malloc(sizeof(float) * (m + 1));
		fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (m + 1));
		fftwf_plan fw = fftwf_plan_dft_r2c_1d((int) n, x, spec, FFTW_MEASURE),
					bw = fftwf_plan_dft_c2r_1d((int) n, spec, y, FFTW_MEASURE);
		int			reps = (int) (((size_t) 1 << 24) / n) + 3;
		double		t0,
					t_ours,
					t_fftw,
					diff = 0,
					ref = 0;

		srand(1);
		for (size_t i = 0; i < n; i++)
			x[i] = i < n / 2 ? rand() / (float) RAND_MAX - 0.5f : 0.0f;	/* zero-padded, as used */

		/* accuracy: the same spectrum */
		vf_fft_forward(p, x, n / 2, re, im);
		fftwf_execute(fw);
		for (size_t k = 0; k <= m; k++)
		{
			/* varformer keeps bins in bit-reversed order (fft.h), X[m] last */
			size_t		pos = k == m ? m : 0;

			for (size_t bit = 1, r = m >> 1; k < m && bit < m; bit <<= 1, r >>= 1)
				if (k & bit)
					pos |= r;
			diff = fmax(diff, fmax(fabs(re[pos] - spec[k][0]), fabs(im[pos] - spec[k][1])));
			ref = fmax(ref, hypot(spec[k][0], spec[k][1]));
		}

		t0 = now();
		for (int r = 0; r < reps; r++)
		{
			vf_fft_forward(p, x, n / 2, re, im);
			vf_fft_inverse(p, re, im, y, n / 2);
		}
		t_ours = (now() - t0) / reps / 2;
		t0 = now();
		for (int r = 0; r < reps; r++)
		{
			fftwf_execute(fw);
			fftwf_execute(bw);
		}
		t_fftw = (now() - t0) / reps / 2;
		printf("%9zu %12.1f %12.1f %8.2f %10.2e\n", n, t_ours * 1e6, t_fftw * 1e6,
			   t_ours / t_fftw, diff / ref);
		fftwf_destroy_plan(fw);
		fftwf_destroy_plan(bw);
		fftwf_free(x);
		fftwf_free(y);
		fftwf_free(spec);
		free(re);
		free(im);
		vf_fft_free(p);
	}
	return 0;
}
