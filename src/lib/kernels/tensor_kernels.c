/*
 * tensor_kernels.c: row-wise and element-wise transformer kernels (plain C).
 *
 * Plain loops that GCC vectorizes (this file is built with -fassociative-math, see the
 * Makefile); VF_TARGET_CLONES adds AVX2 and AVX-512 copies chosen at load time. The
 * transcendental functions follow PyTorch's definitions, because parity with the
 * published implementations is the contract.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "varformer/common/simd.h"
#include "varformer/kernels/blas.h"
#include "exp_vec.h"
#include "varformer/kernels/tensor_kernels.h"

VF_TARGET_CLONES void
vf_layernorm(float *out, const float *x, const float *w, const float *b,
			 int rows, int dim, float eps)
{
	for (int r = 0; r < rows; r++)
	{
		const float *xr = x + (size_t) r * dim;
		float	   *o = out + (size_t) r * dim;
		float		sum = 0.0f,
					var = 0.0f;

		for (int i = 0; i < dim; i++)
			sum += xr[i];
		float		mean = sum / dim;

		/* two passes: the one-pass formula loses digits when |mean| >> std */
		for (int i = 0; i < dim; i++)
		{
			float		d = xr[i] - mean;

			var += d * d;
		}
		float		inv = 1.0f / sqrtf(var / dim + eps);

		for (int i = 0; i < dim; i++)
			o[i] = (xr[i] - mean) * inv * w[i] + b[i];
	}
}

VF_TARGET_CLONES void
vf_add_bias(float *x, const float *b, int rows, int cols, int ldx)
{
	for (int r = 0; r < rows; r++)
	{
		float	   *xr = x + (size_t) r * ldx;

		for (int c = 0; c < cols; c++)
			xr[c] += b[c];
	}
}

/*
 * The bias goes into y first and sgemm adds the product to it (beta 1), as torch's addmm
 * does: sgemm's own pass zeroing y for beta 0, a second adding b and a third adding y to a
 * residual would each be a trip through y.
 */
void
vf_linear(float *y, int ldy, const float *x, int ldx, int n, int in, const float *w,
		  const float *b, int out, bool accumulate)
{
	if (b != NULL && accumulate)
		vf_add_bias(y, b, n, out, ldy);
	else if (b != NULL)
		for (int r = 0; r < n; r++)
			memcpy(y + (size_t) r * ldy, b, sizeof(float) * out);
	vf_sgemm(CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, ldx, w, in,
			 accumulate || b != NULL ? 1.0f : 0.0f, y, ldy);
}

VF_TARGET_CLONES void
vf_add_inplace(float *y, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}

VF_TARGET_CLONES void
vf_scale_inplace(float *y, float s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] *= s;
}

/* Max of a row in 16 independent lanes (a single running max is a serial chain). */
static inline float
row_max(const float *x, int n)
{
	float		lane[16],
				mx = -INFINITY;
	int			i = 0;

	/* GCC will not vectorize one running max without -ffinite-math-only */
	for (int l = 0; l < 16; l++)
		lane[l] = -INFINITY;
	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++)
			lane[l] = x[i + l] > lane[l] ? x[i + l] : lane[l];
	for (; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (int l = 0; l < 16; l++)
		mx = lane[l] > mx ? lane[l] : mx;
	return mx;
}

VF_TARGET_CLONES void
vf_softmax_row(float *x, int n)
{
	float		inv = vf_softmax_exp_row(x, n);

	for (int i = 0; i < n; i++)
		x[i] *= inv;
}

VF_TARGET_CLONES float
vf_softmax_exp_row(float *x, int n)
{
	float		mx = row_max(x, n),
				sum = 0.0f;

	for (int i = 0; i < n; i++)
	{
		x[i] = exp_vec(x[i] - mx);
		sum += x[i];
	}
	return 1.0f / sum;
}

VF_TARGET_CLONES void
vf_scale_rows(float *x, int ldx, const float *s, int rows, int cols)
{
	for (int r = 0; r < rows; r++)
	{
		float	   *xr = x + (size_t) r * ldx;

		for (int c = 0; c < cols; c++)
			xr[c] *= s[r];
	}
}

VF_TARGET_CLONES void
vf_alibi_row(float *row, int n, int i, float slope)
{
	for (int j = 0; j < n; j++)
		row[j] -= slope * (float) (j > i ? j - i : i - j);
}

static void
alibi_slopes_pow2(double *s, int n)
{
	/* start = 2^(-2^-(log2(n) - 3)), each next slope multiplied by start again */
	double		start = pow(2.0, -pow(2.0, -(log2((double) n) - 3.0)));

	for (int i = 0; i < n; i++)
		s[i] = start * pow(start, i);
}

void
vf_alibi_slopes(float *slopes, int n_heads)
{
	double		tmp[1024];
	int			closest = 1;

	if (n_heads <= 0 || n_heads > 512)
		return;
	while (closest * 2 <= n_heads)
		closest *= 2;
	alibi_slopes_pow2(tmp, closest);
	for (int i = 0; i < closest; i++)
		slopes[i] = (float) tmp[i];
	if (closest < n_heads)
	{
		/* the remainder takes every other slope of the next power of two */
		double		extra[1024];

		alibi_slopes_pow2(extra, 2 * closest);
		for (int i = 0; i < n_heads - closest; i++)
			slopes[closest + i] = (float) extra[2 * i];
	}
}

void
vf_rotary_tables(float *cos_t, float *sin_t, int n, int dim, double base)
{
	int			half = dim / 2;

	for (int i = 0; i < half; i++)
	{
		/* PyTorch computes inv_freq and t * inv_freq in float32: do the same */
		float		inv_freq = (float) (1.0 / pow(base, (double) (2 * i) / dim));

		for (int t = 0; t < n; t++)
		{
			float		angle = (float) t * inv_freq;

			cos_t[(size_t) t * half + i] = cosf(angle);
			sin_t[(size_t) t * half + i] = sinf(angle);
		}
	}
}

VF_TARGET_CLONES void
vf_rotary_apply(float *x, int rows, int ld, int n_heads, int dim,
				const float *cos_t, const float *sin_t)
{
	int			half = dim / 2;

	for (int t = 0; t < rows; t++)
	{
		const float *c = cos_t + (size_t) t * half;
		const float *s = sin_t + (size_t) t * half;

		for (int h = 0; h < n_heads; h++)
		{
			float	   *x1 = x + (size_t) t * ld + (size_t) h * dim;
			float	   *x2 = x1 + half;

			for (int i = 0; i < half; i++)
			{
				float		a = x1[i],
							b = x2[i];

				x1[i] = a * c[i] - b * s[i];
				x2[i] = b * c[i] + a * s[i];
			}
		}
	}
}

static inline float
gelu_exact(float x)
{
	return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

static inline float
gelu_tanh(float x)
{
	return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}

/* x sigmoid(a x): SiLU for a = 1, the sigmoid GELU approximation for a = 1.702 */
static inline float
x_sigmoid(float x, float a)
{
	return x / (1.0f + exp_vec(-a * x));
}

static inline float
relu(float x)
{
	return x > 0.0f ? x : 0.0f;
}

/*
 * The activation is dispatched once outside the loop so that each loop body is a single
 * function the vectorizer can see through.
 */
VF_TARGET_CLONES void
vf_activation(float *x, size_t n, VfActivation act)
{
	switch (act)
	{
		case VF_ACT_GELU:
			for (size_t i = 0; i < n; i++)
				x[i] = gelu_exact(x[i]);
			break;
		case VF_ACT_GELU_TANH:
			for (size_t i = 0; i < n; i++)
				x[i] = gelu_tanh(x[i]);
			break;
		case VF_ACT_GELU_SIGMOID:
			for (size_t i = 0; i < n; i++)
				x[i] = x_sigmoid(x[i], 1.702f);
			break;
		case VF_ACT_SILU:
			for (size_t i = 0; i < n; i++)
				x[i] = x_sigmoid(x[i], 1.0f);
			break;
		case VF_ACT_RELU:
			for (size_t i = 0; i < n; i++)
				x[i] = relu(x[i]);
			break;
	}
}

VF_TARGET_CLONES void
vf_glu(float *out, const float *in, int rows, int cols, VfActivation act)
{
	for (int r = 0; r < rows; r++)
	{
		const float *g = in + (size_t) r * 2 * cols;
		const float *v = g + cols;
		float	   *o = out + (size_t) r * cols;

		switch (act)
		{
			case VF_ACT_GELU:
				for (int c = 0; c < cols; c++)
					o[c] = gelu_exact(g[c]) * v[c];
				break;
			case VF_ACT_GELU_TANH:
				for (int c = 0; c < cols; c++)
					o[c] = gelu_tanh(g[c]) * v[c];
				break;
			case VF_ACT_GELU_SIGMOID:
				for (int c = 0; c < cols; c++)
					o[c] = x_sigmoid(g[c], 1.702f) * v[c];
				break;
			case VF_ACT_SILU:
				for (int c = 0; c < cols; c++)
					o[c] = x_sigmoid(g[c], 1.0f) * v[c];
				break;
			case VF_ACT_RELU:
				for (int c = 0; c < cols; c++)
					o[c] = relu(g[c]) * v[c];
				break;
		}
	}
}
