/*
 * exp_vec.h: the vectorizable exp shared by the kernel files (private to src/lib/kernels).
 */
#ifndef VARFORMER_KERNELS_EXP_VEC_H
#define VARFORMER_KERNELS_EXP_VEC_H

#include <math.h>
#include <stdint.h>

/*
 * exp written so that loops calling it vectorize (libm's expf is a call per element):
 * x = k ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial (relative error ~2e-7, at float
 * rounding), 2^k through the exponent bits. Arguments are clamped to [-87, 88], where the
 * result is still a normal float; the callers (softmax after max subtraction, sigmoid)
 * only lose what float could not represent anyway.
 */
static inline float
exp_vec(float x)
{
	x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
	float		kf = rintf(x * 1.44269504088896341f);
	float		r = x - kf * 0.693145751953125f;

	r = r - kf * 1.428606765330187045e-06f;
	float		p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666666666666666e-1f +
								r * (4.1666666666666664e-2f + r * (8.3333333333333332e-3f +
								r * 1.3888888888888889e-3f)))));
	union
	{
		uint32_t	u;
		float		f;
	}			scale;

	scale.u = (uint32_t) ((int32_t) kf + 127) << 23;
	return p * scale.f;
}

#endif
