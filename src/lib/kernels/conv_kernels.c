/*
 * conv_kernels.c: batch norm, activation, im2col and attention pooling for convolutional
 * trunks (plain C; built with the kernel flags, see the Makefile).
 */
#include <math.h>
#include <string.h>

#include "varformer/common/simd.h"
#include "varformer/kernels/conv_kernels.h"
#include "exp_vec.h"

void
vf_batchnorm_affine(float *scale, float *shift, const float *w, const float *b,
					const float *mean, const float *var, int channels, float eps)
{
	/* (x - mean) / sqrt(var + eps) * w + b, as PyTorch's batch_norm evaluates it in float */
	for (int c = 0; c < channels; c++)
	{
		float		inv = 1.0f / sqrtf(var[c] + eps);

		scale[c] = inv * w[c];
		shift[c] = b[c] - mean[c] * scale[c];
	}
}

VF_TARGET_CLONES void
vf_affine_gelu_rows(float *dst, int ld_dst, const float *src, int ld_src, int channels,
					int cols, const float *scale, const float *shift)
{
	for (int c = 0; c < channels; c++)
	{
		const float *s = src + (size_t) c * ld_src;
		float	   *d = dst + (size_t) c * ld_dst;
		float		a = scale[c],
					b = shift[c];

		for (int t = 0; t < cols; t++)
		{
			float		x = s[t] * a + b;

			d[t] = x / (1.0f + exp_vec(-1.702f * x));
		}
	}
}

void
vf_im2col_1d(float *col, const float *a, int lda, int channels, int k, int cols)
{
	for (int i = 0; i < channels; i++)
		for (int j = 0; j < k; j++)
			memcpy(col + ((size_t) i * k + j) * cols, a + (size_t) i * lda + j,
				   sizeof(float) * cols);
}

VF_TARGET_CLONES void
vf_attention_pool2(float *out, int ld_out, const float *x, int ld_x, const float *logits,
				   int ld_logits, int channels, int pairs, int last_single)
{
	int			full = last_single ? pairs - 1 : pairs;

	for (int c = 0; c < channels; c++)
	{
		const float *xr = x + (size_t) c * ld_x;
		const float *lr = logits + (size_t) c * ld_logits;
		float	   *o = out + (size_t) c * ld_out;

		for (int t = 0; t < full; t++)
		{
			/* softmax of two: p1 = 1 / (1 + e^(l0 - l1)), p0 = 1 - p1 */
			float		l0 = lr[2 * t],
						l1 = lr[2 * t + 1],
						m = l0 > l1 ? l0 : l1,
						e0 = exp_vec(l0 - m),
						e1 = exp_vec(l1 - m),
						inv = 1.0f / (e0 + e1);

			o[t] = (xr[2 * t] * e0 + xr[2 * t + 1] * e1) * inv;
		}
		if (last_single)
			o[full] = xr[2 * full];
	}
}

VF_TARGET_CLONES void
vf_add_row_bias(float *y, int ld, const float *b, int rows, int cols)
{
	for (int r = 0; r < rows; r++)
	{
		float	   *yr = y + (size_t) r * ld;
		float		v = b[r];

		for (int t = 0; t < cols; t++)
			yr[t] += v;
	}
}

VF_TARGET_CLONES void
vf_affine_cols(float *y, int rows, int cols, const float *scale, const float *shift)
{
	for (int r = 0; r < rows; r++)
	{
		float	   *yr = y + (size_t) r * cols;

		for (int c = 0; c < cols; c++)
			yr[c] = yr[c] * scale[c] + shift[c];
	}
}

void
vf_softplus(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > 20.0f ? x[i] : log1pf(expf(x[i]));
}
