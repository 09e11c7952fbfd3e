/*
 * conv_kernels.h: the pieces of a convolutional trunk that are not matrix products (plain C,
 * float32). Activations are channel-major, as PyTorch's Conv1d holds them: row c of a
 * [channels][positions] block is one channel, so a convolution is one sgemm of the
 * [out][in * kernel] weight (PyTorch's own layout, used in place) with im2col columns.
 */
#ifndef VARFORMER_CONV_KERNELS_H
#define VARFORMER_CONV_KERNELS_H

#include <stddef.h>

/*
 * Batch norm at inference is a per-channel affine map: scale = w / sqrt(var + eps),
 * shift = b - mean * scale. Computed once when a model is bound.
 */
void		vf_batchnorm_affine(float *scale, float *shift, const float *w, const float *b,
								const float *mean, const float *var, int channels, float eps);

/*
 * dst[c][t] = gelu_sigmoid(src[c][t] * scale[c] + shift[c]) for c < channels, t < cols
 * (gelu_sigmoid(x) = x sigmoid(1.702 x), Enformer's GELU); rows have strides ld_dst, ld_src.
 */
void		vf_affine_gelu_rows(float *dst, int ld_dst, const float *src, int ld_src,
								int channels, int cols, const float *scale, const float *shift);

/*
 * im2col for a 1-D convolution: col[(i * k + j)][t] = a[i][t + j] for i < channels,
 * j < k, t < cols; a has row stride lda and holds cols + k - 1 columns (the halo included),
 * col has row stride cols.
 */
void		vf_im2col_1d(float *col, const float *a, int lda, int channels, int k, int cols);

/*
 * Enformer's attention pooling over pairs, per channel: out[c][t] = x[c][2t] p0 + x[c][2t+1] p1
 * with (p0, p1) = softmax(logits[c][2t], logits[c][2t+1]), for t < pairs. When last_single,
 * the last pair has only its first position (the odd length's zero padding, whose logit is
 * -inf): its output is x[c][2t] itself.
 */
void		vf_attention_pool2(float *out, int ld_out, const float *x, int ld_x,
							   const float *logits, int ld_logits, int channels, int pairs,
							   int last_single);

/* y[c][t] += b[c] for c < rows, t < cols (channel-major rows of stride ld). */
void		vf_add_row_bias(float *y, int ld, const float *b, int rows, int cols);

/* y[r][c] = y[r][c] * scale[c] + shift[c] (channel-last rows). */
void		vf_affine_cols(float *y, int rows, int cols, const float *scale, const float *shift);

/* Softplus (beta 1, threshold 20): x > 20 ? x : log1p(exp(x)), in place. */
void		vf_softplus(float *x, size_t n);

#endif
