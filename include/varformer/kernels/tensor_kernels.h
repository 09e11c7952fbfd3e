/*
 * tensor_kernels.h: the element-wise and row-wise pieces of a transformer forward pass
 * (everything that is not a matrix product). Plain C, row-major float32.
 */
#ifndef VARFORMER_TENSOR_KERNELS_H
#define VARFORMER_TENSOR_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum VfActivation
{
	VF_ACT_GELU,				/* exact: x/2 (1 + erf(x/sqrt 2)) */
	VF_ACT_GELU_TANH,			/* tanh approximation (gelu_new, gelu_pytorch_tanh) */
	VF_ACT_GELU_SIGMOID,		/* sigmoid approximation x sigmoid(1.702 x) (quick_gelu) */
	VF_ACT_SILU,				/* x sigmoid(x), also called swish */
	VF_ACT_RELU
} VfActivation;

/* out[r] = LayerNorm(x[r]) * w + b over rows x dim; out may be x. */
void		vf_layernorm(float *out, const float *x, const float *w, const float *b,
						 int rows, int dim, float eps);

/* x[r][c] += b[c] */
void		vf_add_bias(float *x, const float *b, int rows, int cols, int ldx);

/*
 * PyTorch's Linear over n rows: y[n x out] = x[n x in] W^T + b, W [out, in], b NULL for none;
 * with accumulate, y += x W^T + b (a residual summed in place). One sgemm (vf_blas_init first).
 */
void		vf_linear(float *y, int ldy, const float *x, int ldx, int n, int in, const float *w,
					  const float *b, int out, bool accumulate);

/* y[i] += x[i] */
void		vf_add_inplace(float *y, const float *x, size_t n);

/* y[i] = s * y[i] */
void		vf_scale_inplace(float *y, float s, size_t n);

/* x[i] = act(x[i]) */
void		vf_activation(float *x, size_t n, VfActivation act);

/*
 * Gated linear unit: in is rows x 2*cols (first half gate, second half value per row);
 * out[r][c] = act(in[r][c]) * in[r][cols + c]. SwiGLU is act = SiLU, GEGLU act = GELU.
 */
void		vf_glu(float *out, const float *in, int rows, int cols, VfActivation act);

/* Softmax of one row in place (max-subtracted). */
void		vf_softmax_row(float *x, int n);

/*
 * The softmax's numerators in place, x[i] = exp(x[i] - max x), returning 1 / their sum: the
 * caller normalizes later (attention scales the n x D context rows, not the n x n scores).
 */
float		vf_softmax_exp_row(float *x, int n);

/* x[r][c] *= s[r] for r < rows, c < cols, row stride ldx. */
void		vf_scale_rows(float *x, int ldx, const float *s, int rows, int cols);

/* ALiBi: row[j] -= slope * |i - j| for j in [0, n). */
void		vf_alibi_row(float *row, int n, int i, float slope);

/* ALiBi head slopes as MosaicBERT/DNABERT-2 compute them (geometric, non-powers of two interleaved). */
void		vf_alibi_slopes(float *slopes, int n_heads);

/*
 * Rotary tables for positions [0, n) and a head of size dim (even): cos/sin are n x dim/2,
 * frequency i = base^(-2i/dim), as ESM/NT-v2 (rotate_half convention).
 */
void		vf_rotary_tables(float *cos_t, float *sin_t, int n, int dim, double base);

/*
 * Applies rotate_half rotary embeddings in place to rows x (n_heads * dim) with row stride
 * ld: per head, x1 = first half, x2 = second half, (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin).
 */
void		vf_rotary_apply(float *x, int rows, int ld, int n_heads, int dim,
							const float *cos_t, const float *sin_t);

#endif
