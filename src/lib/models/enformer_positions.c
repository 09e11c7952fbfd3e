/*
 * enformer_positions.c: Enformer's relative position features and conv tower channel list
 * (plain C).
 *
 * Not in src/lib/kernels on purpose: those files are built with -fassociative-math, and the
 * gamma features subtract terms in the thousands (lgamma of concentrations up to (2 nb)^2)
 * whose float32 rounding enformer-pytorch's output depends on. Here every float operation is
 * evaluated in the order and precision PyTorch uses (float32 tensors, Python scalars rounded
 * to float32 where they meet a tensor), so the table matches the reference's, not a more
 * exact one.
 */
#include <math.h>
#include <stdlib.h>

#include "varformer/models/enformer.h"

/* torch.linspace(start, end, steps) in float32, as its scalar CPU kernel computes it. */
static void
linspace_f32(float *out, double start, double end, int steps)
{
	float		s = (float) start,
				e = (float) end,
				step = steps > 1 ? (e - s) / (float) (steps - 1) : 0.0f;
	int			halfway = steps / 2;

	for (int i = 0; i < steps; i++)
		out[i] = i < halfway ? s + step * (float) i : e - step * (float) (steps - i - 1);
}

void
vf_enformer_position_features(float *out, int n, int n_features, const float *gamma_table)
{
	int			nb = n_features / 6,
				rows = 2 * n - 1;
	float	   *half_life = malloc(sizeof(float) * nb * 4);
	float	   *mean = half_life + nb,
			   *conc = mean + nb,
			   *log_norm = conc + nb;
	float		stddev = (float) ((double) n / (2.0 * nb)),
				stddev2 = (float) (((double) n / (2.0 * nb)) * ((double) n / (2.0 * nb))),
				neg_ln2 = (float) -log(2.0);

	if (half_life == NULL)
		abort();				/* nb floats: the caller has just allocated far more */
	linspace_f32(half_life, 3.0, log((double) n) / log(2.0), nb);
	for (int k = 0; k < nb; k++)
		half_life[k] = powf(2.0f, half_life[k]);
	linspace_f32(mean, (double) n / nb, (double) n, nb);
	for (int k = 0; k < nb; k++)
	{
		float		m = mean[k] / stddev,
					rate = mean[k] / stddev2;

		conc[k] = m * m;
		log_norm[k] = lgammaf(conc[k]) - conc[k] * logf(rate);
		mean[k] = rate;			/* only the rate is needed from here on */
	}
	for (int r = 0; r < rows; r++)
	{
		int			d = r - (n - 1);
		float		x = (float) abs(d),
					sign = d > 0 ? 1.0f : (d < 0 ? -1.0f : 0.0f),
				   *o = out + (size_t) r * n_features;
		float		gmax = 0.0f;

		for (int k = 0; k < nb; k++)
		{
			o[k] = expf(neg_ln2 / half_life[k] * x);
			o[nb + k] = ldexpf(1.0f, k + 1) - 1.0f > x ? 1.0f : 0.0f;
		}
		if (gamma_table != NULL)
			for (int k = 0; k < nb; k++)
				o[2 * nb + k] = gamma_table[(size_t) r * nb + k];
		else
		{
			for (int k = 0; k < nb; k++)
			{
				/* xlogy(c - 1, x) = (c - 1) log x: -inf at x = 0, since c - 1 >= 3 */
				float		log_p = (conc[k] - 1.0f) * logf(x) - mean[k] * x;

				o[2 * nb + k] = expf(log_p - log_norm[k]) + 1e-8f;
				gmax = o[2 * nb + k] > gmax ? o[2 * nb + k] : gmax;
			}
			for (int k = 0; k < nb; k++)
				o[2 * nb + k] = o[2 * nb + k] / gmax;
		}
		for (int k = 0; k < 3 * nb; k++)
			o[3 * nb + k] = sign * o[k];
	}
	free(half_life);
}

void
vf_enformer_tf_gamma_table(float *out, int n, int nb)
{
	int			rows = 2 * n - 1;
	double		stddev = (double) n / (2.0 * nb);
	double	   *p = malloc(sizeof(double) * (size_t) rows * nb);

	if (p == NULL)
		abort();
	for (int k = 0; k < nb; k++)
	{
		double		start = (double) n / nb,
					step = nb > 1 ? ((double) n - start) / (nb - 1) : 0.0,
					mean = k < nb / 2 ? start + step * k : (double) n - step * (nb - k - 1),
					c = (mean / stddev) * (mean / stddev),
					rate = mean / (stddev * stddev),
					log_norm = lgamma(c) - c * log(rate),
					mx = 0.0;

		for (int r = 0; r < rows; r++)
		{
			double		x = fabs((double) (r - (n - 1)));
			double		lp = (c - 1.0) * log(x) - rate * x;	/* -inf at x = 0 */

			p[(size_t) r * nb + k] = exp(lp - log_norm) + 1e-8;
			mx = p[(size_t) r * nb + k] > mx ? p[(size_t) r * nb + k] : mx;
		}
		for (int r = 0; r < rows; r++)
			out[(size_t) r * nb + k] = (float) (p[(size_t) r * nb + k] / mx);
	}
	free(p);
}

int
vf_enformer_filter_list(int *filters, int dim, int n_blocks, int divisible_by)
{
	int			half = dim / 2;
	double		base;

	/* exponential_linspace_int(half, dim, n_blocks, d) with Python's round (half to even) */
	if (n_blocks < 2 || divisible_by < 1)
		return -1;
	base = exp(log((double) dim / half) / (n_blocks - 1));
	filters[0] = half;
	for (int i = 0; i < n_blocks; i++)
		filters[i + 1] = (int) nearbyint(half * pow(base, i) / divisible_by) * divisible_by;
	return 0;
}
