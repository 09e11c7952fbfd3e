/*
 * transformer.c: one forward pass for every supported transformer encoder (plain C).
 *
 * Read top to bottom like llama2.c: embeddings, then per layer attention and feed-forward
 * with the residual stream in s->x, then the final norm. What differs between families
 * (pre/post LN, position scheme, GLU or MLP) is data in VfTransformerConfig, read by
 * transformer_config.c. Every matrix product is one cblas_sgemm; activations live in the
 * process workspace (workspace.h) and grow only when a longer input arrives.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "varformer/models/transformer.h"
#include "varformer/models/workspace.h"

/* Workspace slots of the transformer's activations. */
enum
{
	WS_X, WS_H, WS_QKV, WS_SCORES, WS_CTX, WS_FFN_IN, WS_FFN_MID
};

void *
vf_transformer_new_state(const void *config, VfError *err)
{
	VfTransformerRunState *s = calloc(1, sizeof(VfTransformerRunState));

	(void) config;
	if (s == NULL)
		vf_error(err, VF_ERR_NOMEM, "out of memory");
	return s;
}

static void
free_rope(VfTransformerRunState *s)
{
	free(s->rope_cos);
	free(s->rope_sin);
	s->rope_cos = s->rope_sin = NULL;
	s->cap = 0;
}

void
vf_transformer_release(void *config, void *weights, void *state)
{
	VfTransformerWeights *w = weights;

	if (w != NULL)
	{
		free(w->layers);
		free(w->alibi_slopes);
		free(w);
	}
	if (state != NULL)
	{
		free_rope(state);
		free(state);
	}
	free(config);
}

/* Points the run state's buffers at the workspace for n tokens; rotary tables per model. */
static int
ensure_scratch(const VfTransformerConfig *c, VfTransformerRunState *s, int n, VfError *err)
{
	size_t		H = c->hidden,
				N = n,
				ffn_rows = c->ffn == VF_FFN_GLU ? 2 * (size_t) c->inter : (size_t) c->inter;

	s->x = vf_workspace_get(WS_X, N * H);
	s->h = vf_workspace_get(WS_H, N * H);
	s->qkv = vf_workspace_get(WS_QKV, N * 3 * H);
	/* n x n although attention uses a block of rows: what varformer.max_scratch_memory counts */
	s->scores = vf_workspace_get(WS_SCORES, N * N);
	s->ctx = vf_workspace_get(WS_CTX, N * H);
	s->ffn_in = c->ffn == VF_FFN_GLU ? vf_workspace_get(WS_FFN_IN, N * ffn_rows) : NULL;
	s->ffn_mid = vf_workspace_get(WS_FFN_MID, N * c->inter);
	if (!s->x || !s->h || !s->qkv || !s->scores || !s->ctx ||
		(c->ffn == VF_FFN_GLU && !s->ffn_in) || !s->ffn_mid)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for encoder activations (%d tokens)", n);
	if (c->pos == VF_POS_ROTARY && n > s->cap)
	{
		free_rope(s);
		s->rope_cos = vf_alloc_floats(N * c->head_dim / 2);
		s->rope_sin = vf_alloc_floats(N * c->head_dim / 2);
		if (!s->rope_cos || !s->rope_sin)
		{
			free_rope(s);
			return vf_error(err, VF_ERR_NOMEM, "out of memory for rotary tables (%d tokens)", n);
		}
		vf_rotary_tables(s->rope_cos, s->rope_sin, n, c->head_dim, c->rope_base);
		s->cap = n;
	}
	return 0;
}

static void
embed(const VfTransformerConfig *c, const VfTransformerWeights *w, VfTransformerRunState *s,
	  const int32_t *ids, const int32_t *states, int n)
{
	int			H = c->hidden;
	float		scale = 1.0f;

	if (c->token_dropout)
	{
		/* ESM: <mask> embeddings are zeroed and the rest rescaled to the train mask rate */
		int			masked = 0;

		for (int t = 0; t < n; t++)
			masked += ids[t] == c->mask_id;
		scale = (1.0f - 0.15f * 0.8f) / (1.0f - (float) masked / (float) n);
	}
	int			position = c->esm_positions ? c->pad_id : 0;

	for (int t = 0; t < n; t++)
	{
		float	   *x = s->x + (size_t) t * H;
		const float *we = w->word_emb + (size_t) ids[t] * H;

		if (c->token_dropout && ids[t] == c->mask_id)
			memset(x, 0, sizeof(float) * H);
		else
			for (int i = 0; i < H; i++)
				x[i] = we[i] * scale;
		if (w->state_emb != NULL)
			vf_add_inplace(x, w->state_emb + (size_t) (states ? states[t] : 0) * H, H);
		if (w->type_emb != NULL)
			vf_add_inplace(x, w->type_emb, H);	/* token type 0 */
		if (w->pos_emb != NULL)
		{
			/* ESM counts positions from pad_id + 1 and gives pad tokens pad_id itself */
			int			p;

			if (!c->esm_positions)
				p = t;
			else if (ids[t] == c->pad_id)
				p = c->pad_id;
			else
				p = ++position;
			vf_add_inplace(x, w->pos_emb + (size_t) p * H, H);
		}
	}
	if (w->emb_ln_w != NULL)
		vf_layernorm(s->x, s->x, w->emb_ln_w, w->emb_ln_b, n, H, c->eps);
}

/*
 * Query rows per attention block: about 512 kB of scores (half of a Zen 4/5 core's L2, a
 * quarter of recent Intel's), at least 16 rows so that each product stays a real sgemm.
 */
#define ATTENTION_MAX_ROWS 512

static int
attention_block_rows(int n)
{
	int			rows = (128 * 1024) / n;

	rows -= rows % 16;
	rows = rows < 16 ? 16 : (rows > ATTENTION_MAX_ROWS ? ATTENTION_MAX_ROWS : rows);
	return rows > n ? n : rows;
}

/* Multi-head self-attention of h (n x H) into s->ctx (n x H). */
static void
attention(const VfTransformerConfig *c, const VfTransformerWeights *w, VfTransformerRunState *s,
		  const VfTransformerLayer *L, const float *h, int n, void (*hook) (void))
{
	int			H = c->hidden,
				D = c->head_dim;
	float	   *q = s->qkv,
			   *k = s->qkv + H,
			   *v = s->qkv + 2 * H;
	float		scale = 1.0f / sqrtf((float) D);

	if (L->wqkv != NULL)
		vf_linear(s->qkv, 3 * H, h, H, n, H, L->wqkv, L->bqkv, 3 * H, false);
	else
	{
		vf_linear(q, 3 * H, h, H, n, H, L->wq, L->bq, H, false);
		vf_linear(k, 3 * H, h, H, n, H, L->wk, L->bk, H, false);
		vf_linear(v, 3 * H, h, H, n, H, L->wv, L->bv, H, false);
	}
	if (c->pos == VF_POS_ROTARY)
	{
		vf_rotary_apply(q, n, 3 * H, c->n_heads, D, s->rope_cos, s->rope_sin);
		vf_rotary_apply(k, n, 3 * H, c->n_heads, D, s->rope_cos, s->rope_sin);
	}
	/*
	 * One head and one block of query rows at a time: the block's scores (rows x n) stay in
	 * the core's L2 cache between the two products and the softmax, where a whole n x n
	 * matrix (4 MB at 1,000 tokens) went through L3 for sgemm's zeroing, the softmax and the
	 * packing of the second product. Rows are normalized after the second product (the
	 * context row times 1/sum, D values instead of n).
	 */
	int			bm = attention_block_rows(n);
	float		inv_sum[ATTENTION_MAX_ROWS];

	for (int hd = 0; hd < c->n_heads; hd++)
	{
		if (hook)
			hook();
		for (int i0 = 0; i0 < n; i0 += bm)
		{
			int			m = n - i0 < bm ? n - i0 : bm;

			/* scores = scale * Q_h K_h^T for rows [i0, i0 + m) */
			vf_sgemm(CblasNoTrans, CblasTrans, m, n, D, scale, q + (size_t) i0 * 3 * H + hd * D,
					 3 * H, k + hd * D, 3 * H, 0.0f, s->scores, n);
			for (int r = 0; r < m; r++)
			{
				float	   *row = s->scores + (size_t) r * n;

				if (c->pos == VF_POS_ALIBI)
					vf_alibi_row(row, n, i0 + r, w->alibi_slopes[hd]);
				inv_sum[r] = vf_softmax_exp_row(row, n);
			}
			vf_sgemm(CblasNoTrans, CblasNoTrans, m, D, n, 1.0f, s->scores, n,
					 v + hd * D, 3 * H, 0.0f, s->ctx + (size_t) i0 * H + hd * D, H);
			vf_scale_rows(s->ctx + (size_t) i0 * H + hd * D, H, inv_sum, m, D);
		}
	}
}

/* Feed-forward of h (n x H), added to the residual stream s->x. */
static void
feed_forward(const VfTransformerConfig *c, VfTransformerRunState *s, const VfTransformerLayer *L,
			 const float *h, int n)
{
	int			H = c->hidden,
				I_ = c->inter;

	if (c->ffn == VF_FFN_GLU)
	{
		vf_linear(s->ffn_in, 2 * I_, h, H, n, H, L->w_in, L->b_in, 2 * I_, false);
		vf_glu(s->ffn_mid, s->ffn_in, n, I_, c->act);
	}
	else
	{
		vf_linear(s->ffn_mid, I_, h, H, n, H, L->w_in, L->b_in, I_, false);
		vf_activation(s->ffn_mid, (size_t) n * I_, c->act);
	}
	vf_linear(s->x, H, s->ffn_mid, I_, n, I_, L->w_out, L->b_out, H, true);
}

/* Refuses inputs the model cannot read, naming the value; positions count from 1 as in SQL. */
static int
check_input(const VfTransformerConfig *c, const int32_t *ids, int n, const int32_t *states,
			VfError *err)
{
	if (n < 1)
		return vf_error(err, VF_ERR_INVALID, "cannot encode an empty token sequence");
	if (n > c->max_tokens)
		return vf_error(err, VF_ERR_LIMIT, "input of %d tokens is longer than the model's maximum of %d",
						n, c->max_tokens);
	for (int t = 0; t < n; t++)
	{
		if (ids[t] < 0 || ids[t] >= c->vocab)
			return vf_error(err, VF_ERR_INVALID, "token id %d at position %d is outside the vocabulary (size %d)",
							ids[t], t + 1, c->vocab);
		if (states != NULL && c->n_states > 0 && (states[t] < 0 || states[t] >= c->n_states))
			return vf_error(err, VF_ERR_INVALID, "epigenetic state %d at position %d is outside [0, %d)",
							states[t], t + 1, c->n_states);
	}
	if (states != NULL && c->n_states == 0)
		return vf_error(err, VF_ERR_INVALID, "model %s has no epigenetic state embeddings", c->label);
	if (c->token_dropout)
	{
		int			masked = 0;

		for (int t = 0; t < n; t++)
			masked += ids[t] == c->mask_id;
		if (masked == n)
			return vf_error(err, VF_ERR_INVALID, "every token is the mask token: token dropout rescaling is undefined");
	}
	return 0;
}

int
vf_transformer_forward(const void *config, const void *weights, void *state,
					   void (*hook) (void), const VfModelInput *in, float *out, VfError *err)
{
	const VfTransformerConfig *c = config;
	const VfTransformerWeights *w = weights;
	VfTransformerRunState *s = state;
	int			H = c->hidden,
				n = in->n_tokens;
	size_t		nh;

	if (in->ids == NULL && n > 0)
		return vf_error(err, VF_ERR_INVALID, "a transformer encoder reads token ids, not a sequence");
	if (check_input(c, in->ids, n, in->states, err) < 0 || ensure_scratch(c, s, n, err) < 0)
		return -1;
	nh = (size_t) n * H;

	embed(c, w, s, in->ids, in->states, n);
	for (int l = 0; l < c->n_layers; l++)
	{
		const VfTransformerLayer *L = &w->layers[l];
		const float *x_in;

		if (hook)
			hook();
		/* attention block: x += Wo attn(LN?(x)); post-LN normalizes the sum instead */
		x_in = s->x;
		if (c->pre_ln)
		{
			vf_layernorm(s->h, s->x, L->ln1_w, L->ln1_b, n, H, c->eps);
			x_in = s->h;
		}
		attention(c, w, s, L, x_in, n, hook);
		vf_linear(s->x, H, s->ctx, H, n, H, L->wo, L->bo, H, true);
		if (!c->pre_ln)
			vf_layernorm(s->x, s->x, L->ln1_w, L->ln1_b, n, H, c->eps);

		/* feed-forward block, same residual pattern */
		x_in = s->x;
		if (c->pre_ln)
		{
			vf_layernorm(s->h, s->x, L->ln2_w, L->ln2_b, n, H, c->eps);
			x_in = s->h;
		}
		feed_forward(c, s, L, x_in, n);
		if (!c->pre_ln)
			vf_layernorm(s->x, s->x, L->ln2_w, L->ln2_b, n, H, c->eps);
	}
	if (w->final_ln_w != NULL)
		vf_layernorm(out, s->x, w->final_ln_w, w->final_ln_b, n, H, c->eps);
	else
		memcpy(out, s->x, sizeof(float) * nh);
	return 0;
}

double
vf_transformer_flops(const void *config, int n)
{
	const VfTransformerConfig *c = config;
	double		H = c->hidden,
				I_ = c->inter,
				N_ = n;
	double		ffn_in = c->ffn == VF_FFN_GLU ? 2 * I_ : I_;
	double		per_layer = 2 * N_ * H * 3 * H	/* q, k, v */
		+ 2 * 2 * N_ * N_ * H		/* scores and context */
		+ 2 * N_ * H * H			/* output projection */
		+ 2 * N_ * H * ffn_in + 2 * N_ * I_ * H;

	return per_layer * c->n_layers;
}
