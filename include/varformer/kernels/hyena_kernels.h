/*
 * hyena_kernels.h: the pieces of a Hyena operator that are neither matrix products nor
 * Fourier transforms (plain C, float32): the implicit filter's sine activation and decay
 * window, the short depthwise causal convolution with its gate, and the transposes between
 * the row-major activations and the channel-major signals the long convolution transforms.
 */
#ifndef VARFORMER_KERNELS_HYENA_KERNELS_H
#define VARFORMER_KERNELS_HYENA_KERNELS_H

#include <stddef.h>

/* x[r][c] = sin(freq[c] * x[r][c]) for rows x cols, row stride ld. */
void		vf_sin_scaled(float *x, size_t rows, int cols, int ld, const float *freq);

/*
 * The short filter of width 3 (Conv1d groups = channels, padding 2, first L outputs: causal)
 * in place over rows x width values u (row stride width), continuing from the two previous
 * rows' inputs p1 (t - 1) and p2 (t - 2), which it updates for the next call (zeros before
 * the first row):  u[t][c] = w0[c] u[t-2][c] + w1[c] u[t-1][c] + w2[c] u[t][c] + b[c].
 * Then the gate of an order-2 Hyena: with width = 3 d, u[t][2d + c] *= u[t][d + c].
 */
void		vf_short_conv3_gate(float *u, size_t rows, int d, float *p1, float *p2,
								const float *w0, const float *w1, const float *w2,
								const float *b);

/* dst[j][t] = src[t * lds + j] for j < cols, t < rows (dst row stride ldd). */
void		vf_gather_cols(float *dst, size_t ldd, const float *src, size_t lds, int cols,
						   size_t rows);

/* k[j][t] *= exp(-t_pos[t] * |deltas[j]|) + shift, for j < cols, t < rows (k row stride ldk). */
void		vf_decay_window(float *k, size_t ldk, int cols, size_t rows, const float *t_pos,
							const float *deltas, float shift);

/*
 * The long convolution's end: y[j][t] (the causal convolution of channel j) plus the skip
 * bias[j] v[j][t], gated by u[t * ldu + j] (x0), written to u[t * ldu + off + j].
 */
void		vf_scatter_gate(float *u, size_t ldu, size_t off, const float *y, const float *v,
							size_t ld, int cols, size_t rows, const float *bias);

#endif
