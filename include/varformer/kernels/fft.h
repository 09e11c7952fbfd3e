/*
 * fft.h: the real discrete Fourier transform of a power-of-two length, and the causal
 * convolution built on it (plain C, float32, no dependency).
 *
 * HyenaDNA's long convolution runs a filter as long as the input over every channel: done
 * directly it is O(L^2), through the transform O(L log L). The transform is radix-2 over
 * n/2 complex points (the real input packed two values a point), split re/im arrays so the
 * butterflies vectorize, the stages within a block done while the block stays in cache,
 * never a reordering pass. A plan is immutable after creation: several threads may share one.
 */
#ifndef VARFORMER_KERNELS_FFT_H
#define VARFORMER_KERNELS_FFT_H

#include <stddef.h>

typedef struct VfFft VfFft;

/* A plan for real transforms of n points (a power of two, 4 <= n <= 2^30); NULL: no memory. */
VfFft	   *vf_fft_plan(size_t n);
void		vf_fft_free(VfFft *p);
size_t		vf_fft_size(const VfFft *p);

/* The smallest power of two >= n (and >= 4). */
size_t		vf_fft_size_for(size_t n);

/*
 * Spectrum X[0..n/2] of x[0..len) zero-padded to n (len <= n): re and im receive n/2 + 1
 * values each (they are also the work space), X[n/2] last and the others in bit-reversed
 * order: position p < n/2 holds X[k] with k the reversal of p's log2(n/2) bits. The order
 * costs a convolution nothing (vf_fft_mul is pointwise, vf_fft_inverse reads it) and saves
 * a reordering pass each way.
 */
void		vf_fft_forward(const VfFft *p, const float *x, size_t len, float *re, float *im);

/*
 * The inverse: y[0..len) of the n-point real signal whose spectrum is re/im[0..n/2]
 * (overwritten), normalized so that inverse(forward(x)) == x.
 */
void		vf_fft_inverse(const VfFft *p, float *re, float *im, float *y, size_t len);

/* a *= b pointwise over n/2 + 1 complex values. */
void		vf_fft_mul(float *are, float *aim, const float *bre, const float *bim, size_t count);

#endif
