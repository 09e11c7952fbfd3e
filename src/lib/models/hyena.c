/*
 * hyena.c: one HyenaDNA forward pass (plain C; see hyena.h for the model).
 *
 * Memory is linear in the input length n and independent of max_seq_len: the caller's
 * output (n x d) is the residual stream; the per-process workspace holds u (n x 2d: x0 and
 * the gated v x1 side by side; in_proj's three parts go through in row chunks, x1 dies in
 * the gate), the implicit filter's last hidden layer (n x filter_order), and a
 * block of BLOCK channels' signals and filters in channel-major order (2 x BLOCK x n) with
 * the transform's spectra. Everything else (LayerNorm rows, the MLP's inner activations)
 * goes through in row chunks. The long convolution of each channel is three real FFTs of
 * the next power of two >= 2n - 1, so the causal result has no wrap-around.
 */
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/kernels/fft.h"
#include "varformer/kernels/hyena_kernels.h"
#include "varformer/kernels/tensor_kernels.h"
#include "varformer/models/hyena.h"
#include "varformer/models/workspace.h"

/* Channels whose long convolutions are prepared together (one cache line of floats a row). */
#define BLOCK 16
/* Rows per chunk of the row-wise steps (LayerNorm, in_proj, MLP, implicit filter). */
#define CHUNK 512
/* The decay window's floor: HyenaDNA's ExponentialModulation shift. */
#define SHIFT 0.05f

enum
{
	WS_U, WS_S, WS_VT, WS_KT, WS_SPEC, WS_ROWS, WS_MID, WS_PROJ
};

typedef struct HyenaState
{
	VfFft	   *fft;
	float	   *p1,
			   *p2;				/* the short filter's two previous inputs, 3d each */
	float	   *u, *s, *vt, *kt, *spec, *rows, *mid, *proj;
} HyenaState;

void *
vf_hyena_new_state(const void *config, VfError *err)
{
	const VfHyenaConfig *c = config;
	HyenaState *s = calloc(1, sizeof(HyenaState));

	if (s == NULL || (s->p1 = calloc(3 * (size_t) c->d, sizeof(float))) == NULL ||
		(s->p2 = calloc(3 * (size_t) c->d, sizeof(float))) == NULL)
	{
		if (s)
			free(s->p1);
		free(s);
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return s;
}

void
vf_hyena_release(void *config, void *weights, void *state)
{
	VfHyenaWeights *w = weights;
	HyenaState *s = state;

	if (w != NULL)
	{
		free(w->layers);
		free(w->owned);
		free(w);
	}
	if (s != NULL)
	{
		vf_fft_free(s->fft);
		free(s->p1);
		free(s->p2);
		free(s);
	}
	free(config);
}

static size_t
spec_floats(int n)
{
	/* two spectra (signal, filter), re and im, n_fft / 2 + 1 values each */
	return 4 * (vf_fft_size_for(2 * (size_t) n - 1) / 2 + 1);
}

size_t
vf_hyena_work_bytes(int d_model, int d_inner, int filter_order, int n)
{
	size_t		N = n,
				rows_w = (size_t) (d_model > filter_order ? d_model : filter_order);

	return sizeof(float) * (N * 2 * d_model + N * filter_order + 2 * BLOCK * N + spec_floats(n) +
							CHUNK * rows_w + CHUNK * (size_t) d_inner + CHUNK * 3 * (size_t) d_model);
}

static int
ensure_scratch(const VfHyenaConfig *c, HyenaState *s, int n, VfError *err)
{
	size_t		N = n,
				nfft = vf_fft_size_for(2 * N - 1),
				rows_w = (size_t) (c->d > c->filter_order ? c->d : c->filter_order);

	s->u = vf_workspace_get(WS_U, N * 2 * c->d);
	s->s = vf_workspace_get(WS_S, N * c->filter_order);
	s->vt = vf_workspace_get(WS_VT, BLOCK * N);
	s->kt = vf_workspace_get(WS_KT, BLOCK * N);
	s->spec = vf_workspace_get(WS_SPEC, spec_floats(n));
	s->rows = vf_workspace_get(WS_ROWS, CHUNK * rows_w);
	s->mid = vf_workspace_get(WS_MID, CHUNK * (size_t) c->d_inner);
	s->proj = vf_workspace_get(WS_PROJ, CHUNK * 3 * (size_t) c->d);
	if (!s->u || !s->s || !s->vt || !s->kt || !s->spec || !s->rows || !s->mid || !s->proj)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for HyenaDNA activations (%d tokens)", n);
	if (s->fft == NULL || vf_fft_size(s->fft) != nfft)
	{
		vf_fft_free(s->fft);
		if ((s->fft = vf_fft_plan(nfft)) == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory for a %zu-point FFT plan", nfft);
	}
	return 0;
}

/* The implicit filter's last hidden layer over positions [0, n) into s->s (n x filter_order). */
static void
filter_hidden(const VfHyenaConfig *c, const VfHyenaLayer *Y, HyenaState *s, int n)
{
	int			fo = c->filter_order;

	for (int r0 = 0; r0 < n; r0 += CHUNK)
	{
		int			rows = n - r0 < CHUNK ? n - r0 : CHUNK;
		float	   *h = s->s + (size_t) r0 * fo;

		vf_linear(h, fo, Y->z + (size_t) r0 * c->emb_dim, c->emb_dim, rows, c->emb_dim,
				  Y->f_w[0], Y->f_b[0], fo, false);
		vf_sin_scaled(h, rows, fo, fo, Y->freq);
		for (int i = 1; i <= c->num_inner_mlps; i++)
		{
			vf_linear(s->rows, fo, h, fo, rows, fo, Y->f_w[i], Y->f_b[i], fo, false);
			vf_sin_scaled(s->rows, rows, fo, fo, Y->freq);
			memcpy(h, s->rows, sizeof(float) * rows * fo);
		}
	}
}

/*
 * The Hyena operator on norm1(x): leaves y = (causal_conv(v x1, k) + bias v x1) x0 in the
 * second half of each row of s->u (n x 2d).
 */
static void
hyena_mixer(const VfHyenaConfig *c, const VfHyenaLayer *Y, HyenaState *s, const float *x,
			int n, void (*hook) (void))
{
	int			d = c->d,
				fo = c->filter_order;
	size_t		N = n,
				ld = 2 * (size_t) d,
				half = vf_fft_size(s->fft) / 2 + 1;
	float	   *vre = s->spec,
			   *vim = s->spec + half,
			   *kre = s->spec + 2 * half,
			   *kim = s->spec + 3 * half;

	/* in_proj and the short filter, chunk by chunk (the filter carries two rows over) */
	memset(s->p1, 0, sizeof(float) * 3 * d);
	memset(s->p2, 0, sizeof(float) * 3 * d);
	for (int r0 = 0; r0 < n; r0 += CHUNK)
	{
		int			rows = n - r0 < CHUNK ? n - r0 : CHUNK;
		float	   *u = s->u + (size_t) r0 * ld;

		vf_layernorm(s->rows, x + (size_t) r0 * d, Y->norm1_w, Y->norm1_b, rows, d, 1e-5f);
		vf_linear(s->proj, 3 * d, s->rows, d, rows, d, Y->in_w, Y->in_b, 3 * d, false);
		vf_short_conv3_gate(s->proj, rows, d, s->p1, s->p2, Y->sf_w0, Y->sf_w1, Y->sf_w2, Y->sf_b);
		for (int r = 0; r < rows; r++)
		{
			memcpy(u + r * ld, s->proj + (size_t) r * 3 * d, sizeof(float) * d);
			memcpy(u + r * ld + d, s->proj + (size_t) r * 3 * d + 2 * d, sizeof(float) * d);
		}
	}

	filter_hidden(c, Y, s, n);
	for (int c0 = 0; c0 < d; c0 += BLOCK)
	{
		int			cols = d - c0 < BLOCK ? d - c0 : BLOCK;

		if (hook)
			hook();
		/* this block's filters, channel-major: kt = f_out[c0 .. c0 + cols) s^T, windowed */
		vf_sgemm(CblasNoTrans, CblasTrans, cols, n, fo, 1.0f, Y->f_out + (size_t) c0 * fo, fo,
				 s->s, fo, 0.0f, s->kt, n);
		vf_decay_window(s->kt, N, cols, N, Y->t, Y->deltas + c0, SHIFT);
		vf_gather_cols(s->vt, N, s->u + d + c0, ld, cols, N);
		for (int j = 0; j < cols; j++)
		{
			vf_fft_forward(s->fft, s->vt + j * N, N, vre, vim);
			vf_fft_forward(s->fft, s->kt + j * N, N, kre, kim);
			vf_fft_mul(vre, vim, kre, kim, half);
			vf_fft_inverse(s->fft, vre, vim, s->kt + j * N, N);
		}
		vf_scatter_gate(s->u + c0, ld, (size_t) d, s->kt, s->vt, N, cols, N, Y->skip + c0);
	}
}

int
vf_hyena_forward(const void *config, const void *weights, void *state, void (*hook) (void),
				 const VfModelInput *in, float *out, VfError *err)
{
	const VfHyenaConfig *c = config;
	const VfHyenaWeights *w = weights;
	HyenaState *s = state;
	int			n = in->n_tokens,
				d = c->d;
	float	   *x = out;		/* the residual stream lives in the output */

	if (in->ids == NULL && n > 0)
		return vf_error(err, VF_ERR_INVALID, "a HyenaDNA model reads token ids, not a sequence");
	if (n < 1)
		return vf_error(err, VF_ERR_INVALID, "cannot encode an empty token sequence");
	if (n > c->max_seq_len)
		return vf_error(err, VF_ERR_LIMIT, "input of %d tokens is longer than the model's max_seq_len of %d",
						n, c->max_seq_len);
	if (in->states != NULL)
		return vf_error(err, VF_ERR_INVALID, "model %s has no epigenetic state embeddings", c->label);
	for (int t = 0; t < n; t++)
		if (in->ids[t] < 0 || in->ids[t] >= c->vocab)
			return vf_error(err, VF_ERR_INVALID, "token id %d at position %d is outside the vocabulary (size %d)",
							in->ids[t], t + 1, c->vocab);
	if (ensure_scratch(c, s, n, err) < 0)
		return -1;

	for (int t = 0; t < n; t++)
		memcpy(x + (size_t) t * d, w->word_emb + (size_t) in->ids[t] * d, sizeof(float) * d);
	for (int l = 0; l < c->n_layers; l++)
	{
		const VfHyenaLayer *Y = &w->layers[l];

		if (hook)
			hook();
		hyena_mixer(c, Y, s, x, n, hook);
		/* x += out_proj(y), y in the second half of u's rows */
		vf_linear(x, d, s->u + d, 2 * d, n, d, Y->out_w, Y->out_b, d, true);

		/* x += fc2(gelu_tanh(fc1(norm2(x)))), chunk by chunk */
		for (int r0 = 0; r0 < n; r0 += CHUNK)
		{
			int			rows = n - r0 < CHUNK ? n - r0 : CHUNK;
			float	   *xr = x + (size_t) r0 * d;

			vf_layernorm(s->rows, xr, Y->norm2_w, Y->norm2_b, rows, d, 1e-5f);
			vf_linear(s->mid, c->d_inner, s->rows, d, rows, d, Y->fc1_w, Y->fc1_b, c->d_inner, false);
			vf_activation(s->mid, (size_t) rows * c->d_inner, VF_ACT_GELU_TANH);
			vf_linear(xr, d, s->mid, c->d_inner, rows, c->d_inner, Y->fc2_w, Y->fc2_b, d, true);
		}
	}
	vf_layernorm(out, x, w->lnf_w, w->lnf_b, n, d, c->eps);
	return 0;
}
