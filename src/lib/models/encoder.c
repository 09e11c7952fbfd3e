/*
 * encoder.c: one forward pass for every supported transformer encoder (plain C).
 *
 * Read top to bottom like llama2.c: embeddings, then per layer attention and feed-forward
 * with the residual stream in enc->x, then the final norm. What differs between families
 * (pre/post LN, position scheme, GLU or MLP) is data in VfEncoder, set by encoder_arch.c.
 * Every matrix product is one cblas_sgemm; scratch lives in enc and grows only when a
 * longer input arrives.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/blas.h"
#include "encoder_internal.h"

VfEncoder *
vf_encoder_create(const VfCheckpoint *ckpt, const VfJson *config, VfError *err)
{
	VfEncoder  *enc = calloc(1, sizeof(VfEncoder));

	if (enc == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (vf_encoder_bind(enc, ckpt, config, err) < 0)
	{
		vf_encoder_free(enc);
		return NULL;
	}
	return enc;
}

/*
 * Activations live in one workspace per process, not per encoder: a process runs one forward
 * pass at a time, and a backend that uses several models (or reloads one) then holds one set
 * of buffers, sized for the largest shape it has met, instead of one set per model.
 */
typedef struct Workspace
{
	float	   *buf[7];
	size_t		cap[7];			/* floats */
} Workspace;

static Workspace workspace;

enum
{
	WS_X, WS_H, WS_QKV, WS_SCORES, WS_CTX, WS_FFN_IN, WS_FFN_MID
};

static void
free_rope(VfEncoder *enc)
{
	free(enc->rope_cos);
	free(enc->rope_sin);
	enc->rope_cos = enc->rope_sin = NULL;
	enc->cap = 0;
}

void
vf_encoder_free(VfEncoder *enc)
{
	if (enc == NULL)
		return;
	free_rope(enc);
	free(enc->layers);
	free(enc->alibi_slopes);
	free(enc);
}

int
vf_encoder_hidden_size(const VfEncoder *enc)
{
	return enc->hidden;
}

int
vf_encoder_max_tokens(const VfEncoder *enc)
{
	return enc->max_tokens;
}

const char *
vf_encoder_architecture(const VfEncoder *enc)
{
	return enc->arch;
}

int
vf_encoder_num_states(const VfEncoder *enc)
{
	return enc->n_states;
}

void
vf_encoder_set_interrupt_hook(VfEncoder *enc, void (*hook) (void))
{
	enc->interrupt_hook = hook;
}

static float *
alloc_floats(size_t n)
{
	/* 64-byte alignment keeps the sgemm packing routines on their fast path */
	void	   *p = NULL;

	if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0)
		return NULL;
	return p;
}

/* Workspace buffer i holding at least n floats; grown (never shrunk) on demand. */
static float *
workspace_get(int i, size_t n)
{
	if (workspace.cap[i] < n)
	{
		float	   *p = alloc_floats(n);

		if (p == NULL)
			return NULL;
		free(workspace.buf[i]);
		workspace.buf[i] = p;
		workspace.cap[i] = n;
	}
	return workspace.buf[i];
}

/* Points enc's activation buffers at the workspace for n tokens; rotary tables per encoder. */
static int
ensure_scratch(VfEncoder *enc, int n, VfError *err)
{
	size_t		H = enc->hidden,
				N = n,
				ffn_rows = enc->ffn == VF_FFN_GLU ? 2 * (size_t) enc->inter : (size_t) enc->inter;

	enc->x = workspace_get(WS_X, N * H);
	enc->h = workspace_get(WS_H, N * H);
	enc->qkv = workspace_get(WS_QKV, N * 3 * H);
	enc->scores = workspace_get(WS_SCORES, N * N);
	enc->ctx = workspace_get(WS_CTX, N * H);
	enc->ffn_in = enc->ffn == VF_FFN_GLU ? workspace_get(WS_FFN_IN, N * ffn_rows) : NULL;
	enc->ffn_mid = workspace_get(WS_FFN_MID, N * enc->inter);
	if (!enc->x || !enc->h || !enc->qkv || !enc->scores || !enc->ctx ||
		(enc->ffn == VF_FFN_GLU && !enc->ffn_in) || !enc->ffn_mid)
		return vf_error(err, VF_ERR_NOMEM, "out of memory for encoder activations (%d tokens)", n);
	if (enc->pos == VF_POS_ROTARY && n > enc->cap)
	{
		free_rope(enc);
		enc->rope_cos = alloc_floats(N * enc->head_dim / 2);
		enc->rope_sin = alloc_floats(N * enc->head_dim / 2);
		if (!enc->rope_cos || !enc->rope_sin)
		{
			free_rope(enc);
			return vf_error(err, VF_ERR_NOMEM, "out of memory for rotary tables (%d tokens)", n);
		}
		vf_rotary_tables(enc->rope_cos, enc->rope_sin, n, enc->head_dim, enc->rope_base);
		enc->cap = n;
	}
	return 0;
}

/* y[n x out] = x[n x in] W^T (+ b): PyTorch Linear weights are [out, in]. */
static void
linear(float *y, int ldy, const float *x, int n, int in, const float *w, const float *b,
	   int out)
{
	vf_sgemm(CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 0.0f, y, ldy);
	if (b != NULL)
		vf_add_bias(y, b, n, out, ldy);
}

static void
embed(VfEncoder *enc, const int32_t *ids, const int32_t *states, int n)
{
	int			H = enc->hidden;
	float		scale = 1.0f;

	if (enc->token_dropout)
	{
		/* ESM: <mask> embeddings are zeroed and the rest rescaled to the train mask rate */
		int			masked = 0;

		for (int t = 0; t < n; t++)
			masked += ids[t] == enc->mask_id;
		scale = (1.0f - 0.15f * 0.8f) / (1.0f - (float) masked / (float) n);
	}
	int			position = enc->esm_positions ? enc->pad_id : 0;

	for (int t = 0; t < n; t++)
	{
		float	   *x = enc->x + (size_t) t * H;
		const float *w = enc->word_emb + (size_t) ids[t] * H;

		if (enc->token_dropout && ids[t] == enc->mask_id)
			memset(x, 0, sizeof(float) * H);
		else
			for (int i = 0; i < H; i++)
				x[i] = w[i] * scale;
		if (enc->state_emb != NULL)
			vf_add_inplace(x, enc->state_emb + (size_t) (states ? states[t] : 0) * H, H);
		if (enc->type_emb != NULL)
			vf_add_inplace(x, enc->type_emb, H);	/* token type 0 */
		if (enc->pos_emb != NULL)
		{
			/* ESM counts positions from pad_id + 1 and gives pad tokens pad_id itself */
			int			p;

			if (!enc->esm_positions)
				p = t;
			else if (ids[t] == enc->pad_id)
				p = enc->pad_id;
			else
				p = ++position;
			vf_add_inplace(x, enc->pos_emb + (size_t) p * H, H);
		}
	}
	if (enc->emb_ln_w != NULL)
		vf_layernorm(enc->x, enc->x, enc->emb_ln_w, enc->emb_ln_b, n, H, enc->eps);
}

/* Multi-head self-attention of h (n x H) into enc->ctx (n x H). */
static void
attention(VfEncoder *enc, const VfEncLayer *L, const float *h, int n)
{
	int			H = enc->hidden,
				D = enc->head_dim;
	float	   *q = enc->qkv,
			   *k = enc->qkv + H,
			   *v = enc->qkv + 2 * H;
	float		scale = 1.0f / sqrtf((float) D);

	if (L->wqkv != NULL)
		linear(enc->qkv, 3 * H, h, n, H, L->wqkv, L->bqkv, 3 * H);
	else
	{
		linear(q, 3 * H, h, n, H, L->wq, L->bq, H);
		linear(k, 3 * H, h, n, H, L->wk, L->bk, H);
		linear(v, 3 * H, h, n, H, L->wv, L->bv, H);
	}
	if (enc->pos == VF_POS_ROTARY)
	{
		vf_rotary_apply(q, n, 3 * H, enc->n_heads, D, enc->rope_cos, enc->rope_sin);
		vf_rotary_apply(k, n, 3 * H, enc->n_heads, D, enc->rope_cos, enc->rope_sin);
	}
	for (int hd = 0; hd < enc->n_heads; hd++)
	{
		if (enc->interrupt_hook)
			enc->interrupt_hook();
		/* scores = scale * Q_h K_h^T (n x n), one head at a time to keep the buffer n x n */
		vf_sgemm(CblasNoTrans, CblasTrans, n, n, D, scale, q + hd * D, 3 * H,
				 k + hd * D, 3 * H, 0.0f, enc->scores, n);
		for (int i = 0; i < n; i++)
		{
			float	   *row = enc->scores + (size_t) i * n;

			if (enc->pos == VF_POS_ALIBI)
				vf_alibi_row(row, n, i, enc->alibi_slopes[hd]);
			vf_softmax_row(row, n);
		}
		vf_sgemm(CblasNoTrans, CblasNoTrans, n, D, n, 1.0f, enc->scores, n,
				 v + hd * D, 3 * H, 0.0f, enc->ctx + hd * D, H);
	}
}

/* Feed-forward of h (n x H) into enc->h (n x H); h may be enc->h. */
static void
feed_forward(VfEncoder *enc, const VfEncLayer *L, const float *h, int n)
{
	int			H = enc->hidden,
				I_ = enc->inter;

	if (enc->ffn == VF_FFN_GLU)
	{
		linear(enc->ffn_in, 2 * I_, h, n, H, L->w_in, L->b_in, 2 * I_);
		vf_glu(enc->ffn_mid, enc->ffn_in, n, I_, enc->act);
	}
	else
	{
		linear(enc->ffn_mid, I_, h, n, H, L->w_in, L->b_in, I_);
		vf_activation(enc->ffn_mid, (size_t) n * I_, enc->act);
	}
	linear(enc->h, H, enc->ffn_mid, n, I_, L->w_out, L->b_out, H);
}

int
vf_encoder_forward(VfEncoder *enc, const int32_t *ids, int n, const int32_t *states,
				   float *out, VfError *err)
{
	int			H = enc->hidden;
	size_t		nh;

	if (n < 1)
		return vf_error(err, VF_ERR_INVALID, "cannot encode an empty token sequence");
	if (n > enc->max_tokens)
	{
		vf_error(err, VF_ERR_LIMIT, "input of %d tokens is longer than the model's maximum of %d",
				 n, enc->max_tokens);
		return -1;
	}
	/* positions in messages count from 1, as SQL arrays do */
	for (int t = 0; t < n; t++)
	{
		if (ids[t] < 0 || ids[t] >= enc->vocab)
			return vf_error(err, VF_ERR_INVALID, "token id %d at position %d is outside the vocabulary (size %d)",
							ids[t], t + 1, enc->vocab);
		if (states != NULL && enc->n_states > 0 && (states[t] < 0 || states[t] >= enc->n_states))
			return vf_error(err, VF_ERR_INVALID, "epigenetic state %d at position %d is outside [0, %d)",
							states[t], t + 1, enc->n_states);
	}
	if (states != NULL && enc->n_states == 0)
		return vf_error(err, VF_ERR_INVALID, "model %s has no epigenetic state embeddings", enc->arch);
	if (enc->token_dropout)
	{
		int			masked = 0;

		for (int t = 0; t < n; t++)
			masked += ids[t] == enc->mask_id;
		if (masked == n)
			return vf_error(err, VF_ERR_INVALID, "every token is the mask token: token dropout rescaling is undefined");
	}
	if (ensure_scratch(enc, n, err) < 0)
		return -1;
	nh = (size_t) n * H;

	embed(enc, ids, states, n);
	for (int l = 0; l < enc->n_layers; l++)
	{
		const VfEncLayer *L = &enc->layers[l];
		const float *in;

		if (enc->interrupt_hook)
			enc->interrupt_hook();
		/* attention block: x += Wo attn(LN?(x)); post-LN normalizes the sum instead */
		in = enc->x;
		if (enc->pre_ln)
		{
			vf_layernorm(enc->h, enc->x, L->ln1_w, L->ln1_b, n, H, enc->eps);
			in = enc->h;
		}
		attention(enc, L, in, n);
		linear(enc->h, H, enc->ctx, n, H, L->wo, L->bo, H);
		vf_add_inplace(enc->x, enc->h, nh);
		if (!enc->pre_ln)
			vf_layernorm(enc->x, enc->x, L->ln1_w, L->ln1_b, n, H, enc->eps);

		/* feed-forward block, same residual pattern */
		in = enc->x;
		if (enc->pre_ln)
		{
			vf_layernorm(enc->h, enc->x, L->ln2_w, L->ln2_b, n, H, enc->eps);
			in = enc->h;
		}
		feed_forward(enc, L, in, n);
		vf_add_inplace(enc->x, enc->h, nh);
		if (!enc->pre_ln)
			vf_layernorm(enc->x, enc->x, L->ln2_w, L->ln2_b, n, H, enc->eps);
	}
	if (enc->final_ln_w != NULL)
		vf_layernorm(out, enc->x, enc->final_ln_w, enc->final_ln_b, n, H, enc->eps);
	else
		memcpy(out, enc->x, sizeof(float) * nh);
	return 0;
}

double
vf_encoder_flops(const VfEncoder *enc, int n)
{
	double		H = enc->hidden,
				I_ = enc->inter,
				N_ = n;
	double		ffn_in = enc->ffn == VF_FFN_GLU ? 2 * I_ : I_;
	double		per_layer = 2 * N_ * H * 3 * H	/* q, k, v */
		+ 2 * 2 * N_ * N_ * H		/* scores and context */
		+ 2 * N_ * H * H			/* output projection */
		+ 2 * N_ * H * ffn_in + 2 * N_ * I_ * H;

	return per_layer * enc->n_layers;
}
