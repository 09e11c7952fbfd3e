/*
 * enformer.c: one forward pass of the Enformer trunk (plain C over OpenBLAS).
 *
 * The conv tower runs channel-major ([channels][positions], PyTorch's Conv1d layout, so the
 * [out][in * k] weights serve sgemm in place) and one stage at a time in tiles of positions:
 * per tile, the stage's convolution (im2col + one sgemm), its residual 1x1 block and its
 * attention pool, so no full-length pre-pool activation is ever held: the only full-length
 * buffers are each stage's input and its pooled output (two ping-pong buffers). The
 * transformer runs token-major ([positions][channels]). Every buffer is a view into the
 * process workspace, sized once per input length.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/kernels/conv_kernels.h"
#include "varformer/kernels/tensor_kernels.h"
#include "varformer/models/enformer.h"
#include "varformer/models/workspace.h"

#define TILE 512				/* positions per conv tile (even: pool pairs never straddle) */
#define LN_EPS 1e-5f

/* Workspace slots: the conv tower's, then the transformer's reusing the tile slots. */
enum
{
	WS_PING, WS_PONG, WS_ACT, WS_COL, WS_Y, WS_A2, WS_LOGITS,
	WS_X = 7, WS_H, WS_RELK, WS_FFN, WS_CTX, WS_QC, WS_QP,
	WS_Q = WS_ACT, WS_K = WS_COL, WS_V = WS_Y, WS_SCORES = WS_A2, WS_REL = WS_LOGITS
};

void *
vf_enformer_new_state(const void *config, VfError *err)
{
	VfEnformerRunState *s = calloc(1, sizeof(VfEnformerRunState));

	(void) config;
	if (s == NULL)
		vf_error(err, VF_ERR_NOMEM, "out of memory");
	return s;
}

void
vf_enformer_release(void *config, void *weights, void *state)
{
	VfEnformerWeights *w = weights;
	VfEnformerRunState *s = state;

	if (w != NULL)
	{
		free(w->layers);
		free(w->norm_store);
		free(w->tf_gamma_own);
		free(w);
	}
	if (s != NULL)
	{
		free(s->pos);
		free(s);
	}
	free(config);
}

/* Transformer positions after the tower: each pool halves, rounding up. */
static int
tower_length(const VfEnformerConfig *c, int n)
{
	for (int i = 0; i <= c->n_blocks; i++)
		n = (n + 1) / 2;
	return n;
}

/* Bins kept by the crop: enformer-pytorch drops ceil((n - target) / 2) from each end. */
static void
crop_range(const VfEnformerConfig *c, int n, int *first, int *bins)
{
	int			drop = c->target_length > 0 ? (n - c->target_length + 1) / 2 : c->crop_len;

	*first = drop;
	*bins = n - 2 * drop;
}

int
vf_enformer_bins(const VfEnformerConfig *c, int n)
{
	int			first,
				bins;

	crop_range(c, tower_length(c, n), &first, &bins);
	return bins;
}

int
vf_enformer_output_rows(const void *config, int n)
{
	const VfEnformerConfig *c = config;

	return c->head_mean ? 1 : vf_enformer_bins(c, n);
}

/* ---------------------------------------------------------------- conv tower */

typedef struct Tower
{
	float	   *ping, *pong, *act, *col, *y, *a2, *logits;
} Tower;

/* Reserves every conv tower buffer for an input of n bases at once (no growth mid-pass). */
static int
reserve_tower(const VfEnformerConfig *c, int n, Tower *t, VfError *err)
{
	size_t		ping = 4 * (size_t) n,
				pong = 0,
				act = 0,
				col = 0,
				y = 0;
	int			len = n;

	for (int i = 0; i <= c->n_blocks; i++)
	{
		int			in = i == 0 ? 4 : c->filters[i - 1],
					out = c->filters[i],
					k = i == 0 ? 15 : 5;
		size_t		pooled = (size_t) out * ((len + 1) / 2);

		if (i % 2 == 0)
			pong = pooled > pong ? pooled : pong;
		else
			ping = pooled > ping ? pooled : ping;
		act = (size_t) in * (TILE + k - 1) > act ? (size_t) in * (TILE + k - 1) : act;
		col = (size_t) in * k * TILE > col ? (size_t) in * k * TILE : col;
		y = (size_t) out * TILE > y ? (size_t) out * TILE : y;
		len = (len + 1) / 2;
	}
	t->ping = vf_workspace_get(WS_PING, ping);
	t->pong = vf_workspace_get(WS_PONG, pong);
	t->act = vf_workspace_get(WS_ACT, act);
	t->col = vf_workspace_get(WS_COL, col);
	t->y = vf_workspace_get(WS_Y, y);
	t->a2 = vf_workspace_get(WS_A2, y);
	t->logits = vf_workspace_get(WS_LOGITS, y);
	if (!t->ping || !t->pong || !t->act || !t->col || !t->y || !t->a2 || !t->logits)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for the conv tower's activations (%d bases)", n);
	return 0;
}

/* One-hot A, C, G, T channel-major into x[4][n]; anything else (N) is all zeros. */
static void
one_hot(float *x, const VfModelInput *in, int n)
{
	memset(x, 0, sizeof(float) * 4 * (size_t) n);
	if (in->onehot != NULL)
	{
		for (int t = 0; t < n; t++)
			for (int ch = 0; ch < 4; ch++)
				x[(size_t) ch * n + t] = in->onehot[(size_t) t * 4 + ch];
		return;
	}
	for (int t = 0; t < n; t++)
	{
		int			ch;

		switch (in->seq[t])
		{
			case 'A': case 'a': ch = 0; break;
			case 'C': case 'c': ch = 1; break;
			case 'G': case 'g': ch = 2; break;
			case 'T': case 't': ch = 3; break;
			default: continue;
		}
		x[(size_t) ch * n + t] = 1.0f;
	}
}

/*
 * Columns [t0 - pad, t0 + cols + pad) of the stage's conv input into t->act (row stride
 * cols + k - 1): batch norm and GELU first when the stage has them, then the convolution's
 * zero padding outside [0, len) (PyTorch pads the activated tensor, not its input).
 */
static void
conv_input(const VfEnformerStage *st, const float *x, int len, int t0, int cols, Tower *t)
{
	int			k = st->conv.k,
				pad = k / 2,
				width = cols + k - 1,
				lo = t0 - pad,
				a = lo < 0 ? 0 : lo,
				b = t0 + cols + pad > len ? len : t0 + cols + pad;

	for (int i = 0; i < st->conv.in; i++)
	{
		float	   *row = t->act + (size_t) i * width;

		for (int j = lo; j < a; j++)
			row[j - lo] = 0.0f;
		for (int j = b; j < lo + width; j++)
			row[j - lo] = 0.0f;
		if (!st->pre_act)
			memcpy(row + (a - lo), x + (size_t) i * len + a, sizeof(float) * (b - a));
	}
	if (st->pre_act && b > a)
		vf_affine_gelu_rows(t->act + (a - lo), width, x + a, len, st->conv.in, b - a,
							st->norm.scale, st->norm.shift);
}

/* One stage over x[in][len] into out[filters][ceil(len / 2)]. */
static void
run_stage(const VfEnformerStage *st, const float *x, int len, float *out, Tower *t,
		  void (*hook) (void))
{
	int			in = st->conv.in,
				ch = st->conv.out,
				k = st->conv.k,
				out_len = (len + 1) / 2;

	for (int t0 = 0; t0 < len; t0 += TILE)
	{
		int			cols = len - t0 < TILE ? len - t0 : TILE;

		if (hook)
			hook();
		conv_input(st, x, len, t0, cols, t);
		vf_im2col_1d(t->col, t->act, cols + k - 1, in, k, cols);
		vf_sgemm(CblasNoTrans, CblasNoTrans, ch, cols, in * k, 1.0f, st->conv.w, in * k,
				 t->col, cols, 0.0f, t->y, cols);
		vf_add_row_bias(t->y, cols, st->conv.b, ch, cols);

		/* residual: y += conv1x1(gelu(bn(y))) */
		vf_affine_gelu_rows(t->a2, cols, t->y, cols, ch, cols, st->res_norm.scale, st->res_norm.shift);
		vf_sgemm(CblasNoTrans, CblasNoTrans, ch, cols, ch, 1.0f, st->res_conv.w, ch,
				 t->a2, cols, 0.0f, t->logits, cols);
		vf_add_row_bias(t->logits, cols, st->res_conv.b, ch, cols);
		for (size_t i = 0; i < (size_t) ch * cols; i++)
			t->y[i] += t->logits[i];

		/* attention pool over pairs */
		vf_sgemm(CblasNoTrans, CblasNoTrans, ch, cols, ch, 1.0f, st->pool_w, ch,
				 t->y, cols, 0.0f, t->logits, cols);
		vf_attention_pool2(out + t0 / 2, out_len, t->y, cols, t->logits, cols, ch,
						   (cols + 1) / 2, cols % 2);
	}
}

/* ---------------------------------------------------------------- transformer */

typedef struct Blocks
{
	float	   *x, *h, *q, *k, *v, *scores, *rel, *relk, *ffn, *ctx, *qc, *qp;
} Blocks;

static int
reserve_blocks(const VfEnformerConfig *c, int n, Blocks *b, VfError *err)
{
	size_t		N = n,
				C = c->dim,
				hk = (size_t) c->heads * c->dim_key,
				hv = (size_t) c->heads * c->dim_value;

	b->x = vf_workspace_get(WS_X, N * C);
	b->h = vf_workspace_get(WS_H, N * C);
	b->ffn = vf_workspace_get(WS_FFN, N * 2 * C);
	if (c->depth > 0)
	{
		b->q = vf_workspace_get(WS_Q, N * hk);
		b->k = vf_workspace_get(WS_K, N * hk);
		b->v = vf_workspace_get(WS_V, N * hv);
		b->scores = vf_workspace_get(WS_SCORES, N * N);
		b->rel = vf_workspace_get(WS_REL, N * (2 * N - 1));
		b->relk = vf_workspace_get(WS_RELK, (2 * N - 1) * hk);
		b->ctx = vf_workspace_get(WS_CTX, N * hv);
		b->qc = vf_workspace_get(WS_QC, N * c->dim_key);
		b->qp = vf_workspace_get(WS_QP, N * c->dim_key);
		if (!b->q || !b->k || !b->v || !b->scores || !b->rel || !b->relk || !b->ctx ||
			!b->qc || !b->qp)
			b->x = NULL;
	}
	if (!b->x || !b->h || !b->ffn)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for the transformer's activations (%d positions)", n);
	return 0;
}

/* Relative position features for n positions, kept in the run state until n changes. */
static int
position_features(const VfEnformerConfig *c, const VfEnformerWeights *w, VfEnformerRunState *s,
				  int n, VfError *err)
{
	if (s->pos_n == n)
		return 0;
	free(s->pos);
	s->pos_n = 0;
	if ((s->pos = vf_alloc_floats((size_t) (2 * n - 1) * c->n_pos_features)) == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for relative position features (%d positions)", n);
	vf_enformer_position_features(s->pos, n, c->n_pos_features, c->tf_gamma ? w->tf_gamma : NULL);
	s->pos_n = n;
	return 0;
}

/* Multi-head attention with Enformer's relative positions of b->h (n x C), added to b->x. */
static void
attention(const VfEnformerConfig *c, const VfEnformerLayer *L, const VfEnformerRunState *s,
		  Blocks *b, int n, void (*hook) (void))
{
	int			C = c->dim,
				dk = c->dim_key,
				dv = c->dim_value,
				hk = c->heads * dk,
				hv = c->heads * dv,
				R = 2 * n - 1;

	vf_linear(b->q, hk, b->h, C, n, C, L->wq, NULL, hk, false);
	vf_linear(b->k, hk, b->h, C, n, C, L->wk, NULL, hk, false);
	vf_linear(b->v, hv, b->h, C, n, C, L->wv, NULL, hv, false);
	vf_scale_inplace(b->q, 1.0f / sqrtf((float) dk), (size_t) n * hk);
	vf_linear(b->relk, hk, s->pos, c->n_pos_features, R, c->n_pos_features, L->w_rel_k, NULL, hk,
			  false);
	for (int hd = 0; hd < c->heads; hd++)
	{
		const float *cb = L->rel_content_bias + (size_t) hd * dk,
				   *pb = L->rel_pos_bias + (size_t) hd * dk;

		if (hook)
			hook();
		/* the biases are added after q is scaled, and are not scaled themselves */
		for (int i = 0; i < n; i++)
		{
			const float *q = b->q + (size_t) i * hk + (size_t) hd * dk;

			for (int d = 0; d < dk; d++)
			{
				b->qc[(size_t) i * dk + d] = q[d] + cb[d];
				b->qp[(size_t) i * dk + d] = q[d] + pb[d];
			}
		}
		vf_sgemm(CblasNoTrans, CblasTrans, n, n, dk, 1.0f, b->qc, dk, b->k + (size_t) hd * dk, hk,
				 0.0f, b->scores, n);
		vf_sgemm(CblasNoTrans, CblasTrans, n, R, dk, 1.0f, b->qp, dk, b->relk + (size_t) hd * dk, hk,
				 0.0f, b->rel, R);
		for (int i = 0; i < n; i++)
		{
			/* relative shift: logits[i][j] += rel[i][(n - 1) + j - i] */
			float	   *row = b->scores + (size_t) i * n;

			vf_add_inplace(row, b->rel + (size_t) i * R + (n - 1 - i), n);
			vf_softmax_row(row, n);
		}
		vf_sgemm(CblasNoTrans, CblasNoTrans, n, dv, n, 1.0f, b->scores, n, b->v + (size_t) hd * dv, hv,
				 0.0f, b->ctx + (size_t) hd * dv, hv);
	}
	vf_linear(b->x, C, b->ctx, hv, n, hv, L->wo, L->bo, C, true);
}

static void
transformer_layer(const VfEnformerConfig *c, const VfEnformerLayer *L, const VfEnformerRunState *s,
				  Blocks *b, int n, void (*hook) (void))
{
	int			C = c->dim;

	vf_layernorm(b->h, b->x, L->ln1_w, L->ln1_b, n, C, LN_EPS);
	attention(c, L, s, b, n, hook);
	vf_layernorm(b->h, b->x, L->ln2_w, L->ln2_b, n, C, LN_EPS);
	vf_linear(b->ffn, 2 * C, b->h, C, n, C, L->w1, L->b1, 2 * C, false);
	vf_activation(b->ffn, (size_t) n * 2 * C, VF_ACT_RELU);
	vf_linear(b->x, C, b->ffn, 2 * C, n, 2 * C, L->w2, L->b2, C, true);
}

/* ---------------------------------------------------------------- forward */

static int
check_input(const VfEnformerConfig *c, const VfModelInput *in, VfError *err)
{
	size_t		n = in->seq_len;

	if (in->seq == NULL && in->onehot == NULL)
		return vf_error(err, VF_ERR_INVALID, "an enformer trunk reads a DNA sequence, not token ids");
	if (n < (size_t) c->min_bases || n > (size_t) c->max_bases)
	{
		if (c->tf_gamma)
			vf_error(err, VF_ERR_INVALID, "sequence of %zu bases: this model (use_tf_gamma) reads between %d and %d bases",
					 n, c->min_bases, c->max_bases);
		else
			vf_error(err, VF_ERR_INVALID, "sequence of %zu bases is outside the %d to %d bases this model reads",
					 n, c->min_bases, c->max_bases);
		if (c->target_length > 0)
			vf_error_detail(err, "It predicts %d bins of %d bases (target_length); the full Enformer reads 196,608 bases.",
							c->target_length, 1 << (c->n_blocks + 1));
		return -1;
	}
	return 0;
}

/* Final pointwise block and head over the cropped rows x (bins x C) into out. */
static void
final_and_head(const VfEnformerConfig *c, const VfEnformerWeights *w, Blocks *b, const float *x,
			   int bins, float *out)
{
	int			C = c->dim,
				T = c->tracks;

	memcpy(b->h, x, sizeof(float) * (size_t) bins * C);
	vf_affine_cols(b->h, bins, C, w->final_norm.scale, w->final_norm.shift);
	vf_activation(b->h, (size_t) bins * C, VF_ACT_GELU_SIGMOID);
	vf_linear(b->ffn, 2 * C, b->h, C, bins, C, w->final_conv.w, w->final_conv.b, 2 * C, false);
	vf_activation(b->ffn, (size_t) bins * 2 * C, VF_ACT_GELU_SIGMOID);
	if (c->head == VF_HEAD_NONE)
	{
		memcpy(out, b->ffn, sizeof(float) * (size_t) bins * 2 * C);
		return;
	}
	if (!c->head_mean)
	{
		vf_linear(out, T, b->ffn, 2 * C, bins, 2 * C, w->head_w, w->head_b, T, false);
		if (c->head == VF_HEAD_LINEAR_SOFTPLUS || c->head_softplus)
			vf_softplus(out, (size_t) bins * T);
		return;
	}
	/* gReLU's avg pool over the head's bins: computed in b->h, then averaged into out */
	vf_linear(b->h, T, b->ffn, 2 * C, bins, 2 * C, w->head_w, w->head_b, T, false);
	if (c->head_softplus)
		vf_softplus(b->h, (size_t) bins * T);
	for (int t = 0; t < T; t++)
	{
		double		sum = 0.0;

		for (int r = 0; r < bins; r++)
			sum += b->h[(size_t) r * T + t];
		out[t] = (float) (sum / bins);
	}
}

int
vf_enformer_forward(const void *config, const void *weights, void *state, void (*hook) (void),
					const VfModelInput *in, float *out, VfError *err)
{
	const VfEnformerConfig *c = config;
	const VfEnformerWeights *w = weights;
	VfEnformerRunState *s = state;
	Tower		t = {0};
	Blocks		b = {0};
	int			len = (int) in->seq_len,
				first,
				bins;
	float	   *x,
			   *other;

	if (check_input(c, in, err) < 0 || reserve_tower(c, len, &t, err) < 0)
		return -1;
	one_hot(t.ping, in, len);
	x = t.ping;
	other = t.pong;
	for (int i = 0; i <= c->n_blocks; i++)
	{
		float	   *tmp;

		run_stage(&w->stages[i], x, len, other, &t, hook);
		len = (len + 1) / 2;
		tmp = x, x = other, other = tmp;
	}
	/* x is [C][len]; the transformer reads [len][C] */
	if (reserve_blocks(c, len, &b, err) < 0 ||
		(c->depth > 0 && position_features(c, w, s, len, err) < 0))
		return -1;
	for (int i = 0; i < c->dim; i++)
		for (int p = 0; p < len; p++)
			b.x[(size_t) p * c->dim + i] = x[(size_t) i * len + p];
	for (int l = 0; l < c->depth; l++)
	{
		if (hook)
			hook();
		transformer_layer(c, &w->layers[l], s, &b, len, hook);
	}
	crop_range(c, len, &first, &bins);
	final_and_head(c, w, &b, b.x + (size_t) first * c->dim, bins, out);
	return 0;
}

double
vf_enformer_flops(const void *config, int n)
{
	const VfEnformerConfig *c = config;
	double		f = 0,
				len = n,
				C = c->dim,
				hk = (double) c->heads * c->dim_key,
				hv = (double) c->heads * c->dim_value;
	int			first,
				bins;

	for (int i = 0; i <= c->n_blocks; i++)
	{
		double		in = i == 0 ? 4 : c->filters[i - 1],
					out = c->filters[i],
					k = i == 0 ? 15 : 5;

		f += 2 * len * out * (in * k + 2 * out);	/* conv, residual 1x1, pool logits */
		len = ceil(len / 2);
	}
	f += c->depth * (2 * len * C * (2 * hk + hv) + 2 * (2 * len - 1) * c->n_pos_features * hk +
					 2 * len * len * hk + 2 * len * (2 * len - 1) * hk + 2 * len * len * hv +
					 2 * len * hv * C + 2 * 2 * len * C * 2 * C);
	crop_range(c, (int) len, &first, &bins);
	f += 2.0 * bins * C * 2 * C + 2.0 * bins * 2 * C * c->tracks;
	return f;
}
