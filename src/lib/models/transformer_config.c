/*
 * transformer_config.c: which transformer encoder a checkpoint is, read from its config.json
 * (the configuration), and its weights bound by the names the published implementations use
 * (plain C).
 *
 *   esm   Nucleotide Transformer v1 (HF EsmForMaskedLM: learned positions counted from
 *         pad_token_id + 1, token_dropout, pre-LN, GELU MLP with biases) and v2 (InstaDeep's
 *         esm code: rotary, SwiGLU intermediate.dense producing 2 x intermediate_size,
 *         add_bias_fnn false); both end with encoder.emb_layer_norm_after.
 *   bert + ALiBi / fused Wqkv: DNABERT-2 / MosaicBERT (bert_layers.py: post-LN, ALiBi,
 *         GEGLU mlp.gated_layers with the exact GELU on the first half, no position table).
 *   bert  HF BertModel as GROVER uses it (learned absolute positions, post-LN, hidden_act).
 * Any of them may carry EBERT-style epigenetic states: config "num_epigenetic_states" K and
 * tensor embeddings.epigenetic_state_embeddings.weight [K, hidden], added to the token
 * embedding.
 * Tensor names are accepted with or without the "esm." / "bert." prefix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/models/model_arch.h"
#include "varformer/models/transformer.h"
#include "tensor_bind.h"

/* ALiBi has no position table; this caps the n x n score buffer (64 MB at 4096). */
#define ALIBI_MAX_TOKENS 4096

static bool
has_prefixed(const VfCheckpoint *ckpt, const char *prefix, const char *name)
{
	char		full[256];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	return vf_checkpoint_tensor(ckpt, full) != NULL;
}

static int
cfg_activation(const VfJson *config, VfActivation *act, VfError *err)
{
	const char *s = vf_json_get_string(config, "hidden_act", "gelu");

	if (strcmp(s, "gelu") == 0)
		*act = VF_ACT_GELU;
	else if (strcmp(s, "gelu_new") == 0 || strcmp(s, "gelu_pytorch_tanh") == 0 ||
			 strcmp(s, "gelu_fast") == 0)
		*act = VF_ACT_GELU_TANH;
	else if (strcmp(s, "quick_gelu") == 0)
		*act = VF_ACT_GELU_SIGMOID;
	else if (strcmp(s, "silu") == 0 || strcmp(s, "swish") == 0)
		*act = VF_ACT_SILU;
	else if (strcmp(s, "relu") == 0)
		*act = VF_ACT_RELU;
	else
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "unsupported hidden_act \"%s\"", s);
		vf_error_hint(err, "Supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, silu, swish, relu.");
		return -1;
	}
	return 0;
}

/* The sizes every family shares. */
static int
read_common(VfTransformerConfig *c, const VfJson *config, VfError *err)
{
	double		eps;

	if (vf_cfg_int(config, "hidden_size", -1, 1, 65536, &c->hidden, err) < 0 ||
		vf_cfg_int(config, "num_hidden_layers", -1, 1, 1024, &c->n_layers, err) < 0 ||
		vf_cfg_int(config, "num_attention_heads", -1, 1, 1024, &c->n_heads, err) < 0 ||
		vf_cfg_int(config, "intermediate_size", -1, 1, 1 << 20, &c->inter, err) < 0)
		return -1;
	if (c->hidden % c->n_heads != 0)
		return vf_error(err, VF_ERR_DATA,
						"config.json hidden_size %d is not a multiple of num_attention_heads %d",
						c->hidden, c->n_heads);
	c->head_dim = c->hidden / c->n_heads;
	eps = vf_json_get_number(config, "layer_norm_eps", 1e-12);
	if (!(eps > 0.0 && eps < 1.0))
		return vf_error(err, VF_ERR_DATA, "config.json layer_norm_eps %g is out of range", eps);
	c->eps = (float) eps;
	return 0;
}

/* Vocabulary size from the embedding table, which must agree with config.json. */
static int
read_vocab(VfTransformerConfig *c, const VfCheckpoint *ckpt, const VfJson *config, VfError *err)
{
	VfBinder	b = {ckpt, c->prefix, err, false};
	const VfTensorView *t = vf_bind_lookup(&b, "embeddings.word_embeddings.weight");
	int			cfg_vocab;

	if (t == NULL)
		return vf_error(err, VF_ERR_DATA, "checkpoint has no tensor \"%sembeddings.word_embeddings.weight\"",
						c->prefix);
	if (t->ndim != 2 || t->shape[1] != c->hidden || t->shape[0] < 1 || t->shape[0] > (1 << 24))
		return vf_error(err, VF_ERR_DATA, "tensor \"%sembeddings.word_embeddings.weight\" should have shape [vocab_size, %d]",
						c->prefix, c->hidden);
	c->vocab = (int) t->shape[0];
	if (vf_cfg_int(config, "vocab_size", c->vocab, 1, 1 << 24, &cfg_vocab, err) < 0)
		return -1;
	if (cfg_vocab != c->vocab)
		return vf_error(err, VF_ERR_DATA, "config.json vocab_size %d disagrees with the embedding table (%d rows)",
						cfg_vocab, c->vocab);
	return 0;
}

static int
read_esm(VfTransformerConfig *c, const VfJson *config, const VfCheckpoint *ckpt, VfError *err)
{
	const char *pet = vf_json_get_string(config, "position_embedding_type", "absolute");
	const VfTensorView *t;
	char		name[128];

	snprintf(c->prefix, sizeof(c->prefix), "%s",
			 has_prefixed(ckpt, "esm.", "embeddings.word_embeddings.weight") ? "esm." : "");
	if (read_common(c, config, err) < 0 ||
		vf_cfg_int(config, "max_position_embeddings", -1, 2, 1 << 20, &c->max_pos, err) < 0 ||
		vf_cfg_int(config, "pad_token_id", 1, 0, 1 << 24, &c->pad_id, err) < 0 ||
		vf_cfg_int(config, "mask_token_id", -1, -1, 1 << 24, &c->mask_id, err) < 0 ||
		read_vocab(c, ckpt, config, err) < 0)
		return -1;
	c->ffn_bias = vf_json_get_bool(config, "add_bias_fnn", true);
	c->pre_ln = true;
	c->esm_positions = true;
	c->token_dropout = vf_json_get_bool(config, "token_dropout", false);
	if (c->token_dropout && c->mask_id < 0)
		return vf_error(err, VF_ERR_DATA, "config.json sets token_dropout but no mask_token_id");
	if (c->max_pos <= c->pad_id + 1)
		return vf_error(err, VF_ERR_DATA, "config.json max_position_embeddings %d leaves no position after pad_token_id %d",
						c->max_pos, c->pad_id);
	c->max_tokens = c->max_pos - c->pad_id - 1;
	if (strcmp(pet, "absolute") == 0)
		c->pos = VF_POS_ABSOLUTE;
	else if (strcmp(pet, "rotary") == 0)
	{
		if (c->head_dim % 2 != 0)
			return vf_error(err, VF_ERR_DATA, "rotary embeddings need an even head size, not %d", c->head_dim);
		c->pos = VF_POS_ROTARY;
		c->rope_base = 10000.0;
	}
	else
		return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported ESM position_embedding_type \"%s\" (absolute and rotary are)", pet);
	c->emb_ln = vf_json_get_bool(config, "emb_layer_norm_before", false);

	/* NT v2's intermediate.dense is twice as tall (SwiGLU); NT v1's is a plain GELU MLP */
	snprintf(name, sizeof(name), "%sencoder.layer.0.intermediate.dense.weight", c->prefix);
	t = vf_checkpoint_tensor(ckpt, name);
	if (t != NULL && !(t->ndim == 2 && t->shape[1] == c->hidden &&
					   (t->shape[0] == c->inter || t->shape[0] == 2 * (int64_t) c->inter)))
		return vf_error(err, VF_ERR_DATA,
						"tensor \"%s\" should have shape [%d, %d] (GELU) or [%d, %d] (SwiGLU)",
						name, c->inter, c->hidden, 2 * c->inter, c->hidden);
	c->ffn = (t != NULL && t->shape[0] == 2 * (int64_t) c->inter) ? VF_FFN_GLU : VF_FFN_MLP;
	c->act = c->ffn == VF_FFN_GLU ? VF_ACT_SILU : VF_ACT_GELU;
	c->label = c->pos == VF_POS_ROTARY ? "esm (Nucleotide Transformer v2 style)" : "esm (Nucleotide Transformer v1 style)";
	return 0;
}

/* HF BertModel (GROVER) and MosaicBERT (DNABERT-2) share embeddings and post-LN layout. */
static int
read_bert(VfTransformerConfig *c, const VfJson *config, const VfCheckpoint *ckpt, VfError *err)
{
	snprintf(c->prefix, sizeof(c->prefix), "%s",
			 has_prefixed(ckpt, "bert.", "embeddings.word_embeddings.weight") ? "bert." : "");
	c->mosaic = vf_json_get(config, "alibi_starting_size") != NULL ||
		has_prefixed(ckpt, c->prefix, "encoder.layer.0.attention.self.Wqkv.weight");
	if (read_common(c, config, err) < 0 ||
		vf_cfg_int(config, "type_vocab_size", 2, 1, 1 << 16, &c->type_vocab, err) < 0 ||
		vf_cfg_int(config, "max_position_embeddings", 512, 1, 1 << 20, &c->max_pos, err) < 0 ||
		vf_cfg_int(config, "pad_token_id", 0, 0, 1 << 24, &c->pad_id, err) < 0 ||
		read_vocab(c, ckpt, config, err) < 0)
		return -1;
	c->pre_ln = false;
	c->mask_id = -1;
	c->emb_ln = true;
	c->ffn_bias = true;
	if (c->mosaic)
	{
		int			alibi_start;

		if (vf_cfg_int(config, "alibi_starting_size", 512, 1, 1 << 20, &alibi_start, err) < 0)
			return -1;
		c->label = "bert with ALiBi (DNABERT-2 / MosaicBERT style)";
		c->pos = VF_POS_ALIBI;
		/* ALiBi extrapolates (bert_layers.py rebuilds the bias for longer inputs) */
		c->max_tokens = alibi_start > ALIBI_MAX_TOKENS ? alibi_start : ALIBI_MAX_TOKENS;
		c->ffn = VF_FFN_GLU;
		c->act = VF_ACT_GELU;	/* nn.GELU(approximate='none') whatever hidden_act says */
	}
	else
	{
		const char *pet = vf_json_get_string(config, "position_embedding_type", "absolute");

		if (strcmp(pet, "absolute") != 0)
			return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported BERT position_embedding_type \"%s\" (absolute is)", pet);
		c->label = "bert (GROVER style)";
		c->pos = VF_POS_ABSOLUTE;
		c->max_tokens = c->max_pos;
		c->ffn = VF_FFN_MLP;
		if (cfg_activation(config, &c->act, err) < 0)
			return -1;
	}
	return 0;
}

void *
vf_transformer_read_config(const VfArch *arch, const VfJson *config, const VfCheckpoint *ckpt,
						   VfError *err)
{
	VfTransformerConfig *c;
	int			n_layers,
				rc;

	if (config == NULL || config->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_DATA, "encoder model has no config.json object");
		return NULL;
	}
	if (vf_cfg_int(config, "num_hidden_layers", -1, 1, 1024, &n_layers, err) < 0)
		return NULL;
	if ((c = calloc(1, sizeof(VfTransformerConfig))) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	rc = strcmp(arch->name, "esm") == 0 ? read_esm(c, config, ckpt, err) : read_bert(c, config, ckpt, err);
	if (rc == 0)
		rc = vf_cfg_int(config, "num_epigenetic_states", 0, 0, 1 << 16, &c->n_states, err);
	if (rc < 0)
	{
		free(c);
		return NULL;
	}
	return c;
}

/* LayerNorm weight/bias, accepting the TF-converted gamma/beta names old BERTs carry. */
static void
need_ln(VfBinder *b, int64_t dim, const char *base, const float **w, const float **bias)
{
	*w = vf_bind_maybe(b, dim, -1, "%s.weight", base);
	if (*w != NULL || b->failed)
	{
		*bias = vf_bind_need(b, dim, -1, "%s.bias", base);
		return;
	}
	*w = vf_bind_maybe(b, dim, -1, "%s.gamma", base);
	if (*w != NULL || b->failed)
	{
		*bias = vf_bind_need(b, dim, -1, "%s.beta", base);
		return;
	}
	*w = vf_bind_need(b, dim, -1, "%s.weight", base);	/* names the missing tensor */
}

/* Separate q, k, v projections (HF BERT and ESM). */
static void
bind_qkv(VfBinder *b, VfTransformerLayer *L, int H, int l)
{
	L->wq = vf_bind_need(b, H, H, "encoder.layer.%d.attention.self.query.weight", l);
	L->bq = vf_bind_need(b, H, -1, "encoder.layer.%d.attention.self.query.bias", l);
	L->wk = vf_bind_need(b, H, H, "encoder.layer.%d.attention.self.key.weight", l);
	L->bk = vf_bind_need(b, H, -1, "encoder.layer.%d.attention.self.key.bias", l);
	L->wv = vf_bind_need(b, H, H, "encoder.layer.%d.attention.self.value.weight", l);
	L->bv = vf_bind_need(b, H, -1, "encoder.layer.%d.attention.self.value.bias", l);
}

static void
bind_esm_layer(VfBinder *b, const VfTransformerConfig *c, VfTransformerLayer *L, int l)
{
	int			H = c->hidden,
				I = c->inter,
				rows_in = c->ffn == VF_FFN_GLU ? 2 * I : I;
	char		base[96];

	bind_qkv(b, L, H, l);
	L->wo = vf_bind_need(b, H, H, "encoder.layer.%d.attention.output.dense.weight", l);
	L->bo = vf_bind_need(b, H, -1, "encoder.layer.%d.attention.output.dense.bias", l);
	snprintf(base, sizeof(base), "encoder.layer.%d.attention.LayerNorm", l);
	need_ln(b, H, base, &L->ln1_w, &L->ln1_b);
	snprintf(base, sizeof(base), "encoder.layer.%d.LayerNorm", l);
	need_ln(b, H, base, &L->ln2_w, &L->ln2_b);
	L->w_in = vf_bind_need(b, rows_in, H, "encoder.layer.%d.intermediate.dense.weight", l);
	L->w_out = vf_bind_need(b, H, I, "encoder.layer.%d.output.dense.weight", l);
	if (c->ffn_bias)
	{
		L->b_in = vf_bind_need(b, rows_in, -1, "encoder.layer.%d.intermediate.dense.bias", l);
		L->b_out = vf_bind_need(b, H, -1, "encoder.layer.%d.output.dense.bias", l);
	}
}

static void
bind_bert_layer(VfBinder *b, const VfTransformerConfig *c, VfTransformerLayer *L, int l)
{
	int			H = c->hidden,
				I = c->inter;
	char		base[96];

	if (c->mosaic)
	{
		L->wqkv = vf_bind_need(b, 3 * H, H, "encoder.layer.%d.attention.self.Wqkv.weight", l);
		L->bqkv = vf_bind_need(b, 3 * H, -1, "encoder.layer.%d.attention.self.Wqkv.bias", l);
	}
	else
		bind_qkv(b, L, H, l);
	L->wo = vf_bind_need(b, H, H, "encoder.layer.%d.attention.output.dense.weight", l);
	L->bo = vf_bind_need(b, H, -1, "encoder.layer.%d.attention.output.dense.bias", l);
	snprintf(base, sizeof(base), "encoder.layer.%d.attention.output.LayerNorm", l);
	need_ln(b, H, base, &L->ln1_w, &L->ln1_b);
	if (c->mosaic)
	{
		L->w_in = vf_bind_need(b, 2 * I, H, "encoder.layer.%d.mlp.gated_layers.weight", l);
		L->w_out = vf_bind_need(b, H, I, "encoder.layer.%d.mlp.wo.weight", l);
		L->b_out = vf_bind_need(b, H, -1, "encoder.layer.%d.mlp.wo.bias", l);
		snprintf(base, sizeof(base), "encoder.layer.%d.mlp.layernorm", l);
	}
	else
	{
		L->w_in = vf_bind_need(b, I, H, "encoder.layer.%d.intermediate.dense.weight", l);
		L->b_in = vf_bind_need(b, I, -1, "encoder.layer.%d.intermediate.dense.bias", l);
		L->w_out = vf_bind_need(b, H, I, "encoder.layer.%d.output.dense.weight", l);
		L->b_out = vf_bind_need(b, H, -1, "encoder.layer.%d.output.dense.bias", l);
		snprintf(base, sizeof(base), "encoder.layer.%d.output.LayerNorm", l);
	}
	need_ln(b, H, base, &L->ln2_w, &L->ln2_b);
}

void *
vf_transformer_bind(const void *config, const VfCheckpoint *ckpt, VfError *err)
{
	const VfTransformerConfig *c = config;
	VfBinder	b = {ckpt, c->prefix, err, false};
	VfTransformerWeights *w = calloc(1, sizeof(VfTransformerWeights));
	int			H = c->hidden;
	bool		esm = c->esm_positions;

	if (w == NULL || (w->layers = calloc(c->n_layers, sizeof(VfTransformerLayer))) == NULL)
	{
		free(w);
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->word_emb = vf_bind_need(&b, c->vocab, H, "embeddings.word_embeddings.weight");
	if (!esm)
		w->type_emb = vf_bind_need(&b, c->type_vocab, H, "embeddings.token_type_embeddings.weight");
	if (esm && c->pos == VF_POS_ABSOLUTE)
		w->pos_emb = vf_bind_need(&b, c->max_pos, H, "embeddings.position_embeddings.weight");
	if (c->emb_ln)
		need_ln(&b, H, esm ? "embeddings.layer_norm" : "embeddings.LayerNorm", &w->emb_ln_w, &w->emb_ln_b);
	if (!esm && c->pos == VF_POS_ABSOLUTE)
		w->pos_emb = vf_bind_need(&b, c->max_pos, H, "embeddings.position_embeddings.weight");
	for (int l = 0; l < c->n_layers && !b.failed; l++)
	{
		if (esm)
			bind_esm_layer(&b, c, &w->layers[l], l);
		else
			bind_bert_layer(&b, c, &w->layers[l], l);
	}
	if (esm)
		need_ln(&b, H, "encoder.emb_layer_norm_after", &w->final_ln_w, &w->final_ln_b);
	if (c->n_states > 0)
		w->state_emb = vf_bind_need(&b, c->n_states, H, "embeddings.epigenetic_state_embeddings.weight");
	if (!b.failed && c->pos == VF_POS_ALIBI)
	{
		if ((w->alibi_slopes = malloc(sizeof(float) * c->n_heads)) == NULL)
		{
			b.failed = true;
			vf_error(err, VF_ERR_NOMEM, "out of memory");
		}
		else
			vf_alibi_slopes(w->alibi_slopes, c->n_heads);
	}
	if (b.failed)
	{
		vf_transformer_release(NULL, w, NULL);
		return NULL;
	}
	return w;
}

void
vf_transformer_info(const void *config, VfModelInfo *info)
{
	const VfTransformerConfig *c = config;

	info->label = c->label;
	info->kind = VF_KIND_ENCODER;
	info->max_input = c->max_tokens;
	info->out_cols = c->hidden;
	info->out_rows = 0;
	info->n_states = c->n_states;
}

int
vf_transformer_output_rows(const void *config, int n)
{
	(void) config;
	return n;
}
