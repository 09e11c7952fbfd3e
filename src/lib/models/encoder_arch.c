/*
 * encoder_arch.c: which encoder a checkpoint is, read from its config.json and bound to its
 * tensors by the names the published implementations use (plain C).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder_internal.h"

#define SUPPORTED_ARCHS "esm (Nucleotide Transformer v1/v2), bert with ALiBi (DNABERT-2/MosaicBERT), bert (GROVER)"

/* ALiBi has no position table; this caps the n x n score buffer (64 MB at 4096). */
#define ALIBI_MAX_TOKENS 4096

typedef struct Binder
{
	const VfCheckpoint *ckpt;
	const char *prefix;
	VfError    *err;
	bool		failed;
} Binder;

static const VfTensorView *
lookup(Binder *b, const char *name)
{
	char		full[256];

	snprintf(full, sizeof(full), "%s%s", b->prefix, name);
	return vf_checkpoint_tensor(b->ckpt, full);
}

/*
 * The tensor named by fmt (prefix added) with shape [d0] (d1 < 0) or [d0, d1]; NULL and
 * err set when absent or misshapen, unless optional (then absent is NULL without error).
 * After the first failure every call returns NULL, so err names the first problem.
 */
static const float *
bindv(Binder *b, bool optional, int64_t d0, int64_t d1, const char *fmt, va_list ap)
__attribute__((format(printf, 5, 0)));
static const float *
bindv(Binder *b, bool optional, int64_t d0, int64_t d1, const char *fmt, va_list ap)
{
	char		name[200];
	const VfTensorView *t;

	if (b->failed)
		return NULL;
	vsnprintf(name, sizeof(name), fmt, ap);
	t = lookup(b, name);
	if (t == NULL)
	{
		if (optional)
			return NULL;
		b->failed = true;
		vf_error(b->err, VF_ERR_DATA, "checkpoint has no tensor \"%s%s\"", b->prefix, name);
		return NULL;
	}
	if ((d1 < 0 && (t->ndim != 1 || t->shape[0] != d0)) ||
		(d1 >= 0 && (t->ndim != 2 || t->shape[0] != d0 || t->shape[1] != d1)))
	{
		b->failed = true;
		if (d1 < 0)
			vf_error(b->err, VF_ERR_DATA, "tensor \"%s%s\" should have shape [%lld]",
					 b->prefix, name, (long long) d0);
		else
			vf_error(b->err, VF_ERR_DATA, "tensor \"%s%s\" should have shape [%lld, %lld]",
					 b->prefix, name, (long long) d0, (long long) d1);
		vf_error_detail(b->err, "It has %d dimension(s), the first %lld.", t->ndim,
						(long long) (t->ndim > 0 ? t->shape[0] : 0));
		return NULL;
	}
	return t->data;
}

static const float *
need(Binder *b, int64_t d0, int64_t d1, const char *fmt,...) __attribute__((format(printf, 4, 5)));
static const float *
need(Binder *b, int64_t d0, int64_t d1, const char *fmt,...)
{
	va_list		ap;
	const float *p;

	va_start(ap, fmt);
	p = bindv(b, false, d0, d1, fmt, ap);
	va_end(ap);
	return p;
}

static const float *
maybe(Binder *b, int64_t d0, int64_t d1, const char *fmt,...) __attribute__((format(printf, 4, 5)));
static const float *
maybe(Binder *b, int64_t d0, int64_t d1, const char *fmt,...)
{
	va_list		ap;
	const float *p;

	va_start(ap, fmt);
	p = bindv(b, true, d0, d1, fmt, ap);
	va_end(ap);
	return p;
}

/* LayerNorm weight/bias, accepting the TF-converted gamma/beta names old BERTs carry. */
static void
need_ln(Binder *b, int64_t dim, const char *base, const float **w, const float **bias)
{
	*w = maybe(b, dim, -1, "%s.weight", base);
	if (*w != NULL || b->failed)
	{
		*bias = need(b, dim, -1, "%s.bias", base);
		return;
	}
	*w = maybe(b, dim, -1, "%s.gamma", base);
	if (*w != NULL || b->failed)
	{
		*bias = need(b, dim, -1, "%s.beta", base);
		return;
	}
	*w = need(b, dim, -1, "%s.weight", base);	/* names the missing tensor */
}

static bool
has_prefixed(const VfCheckpoint *ckpt, const char *prefix, const char *name)
{
	char		full[256];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	return vf_checkpoint_tensor(ckpt, full) != NULL;
}

/* Integer config member within [lo, hi]; dflt < lo means required. */
static int
cfg_int(const VfJson *config, const char *key, int64_t dflt, int64_t lo, int64_t hi,
		int *out, VfError *err)
{
	const VfJson *v = vf_json_get(config, key);

	if (v == NULL || v->type == VF_JSON_NULL)
	{
		if (dflt < lo)
			return vf_error(err, VF_ERR_DATA, "config.json has no \"%s\"", key);
		*out = (int) dflt;
		return 0;
	}
	if (v->type != VF_JSON_NUMBER || !v->is_integer || v->integer < lo || v->integer > hi)
		return vf_error(err, VF_ERR_DATA,
						"config.json \"%s\" must be an integer between %lld and %lld",
						key, (long long) lo, (long long) hi);
	*out = (int) v->integer;
	return 0;
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
read_common(VfEncoder *enc, const VfJson *config, VfError *err)
{
	double		eps;

	if (cfg_int(config, "hidden_size", -1, 1, 65536, &enc->hidden, err) < 0 ||
		cfg_int(config, "num_hidden_layers", -1, 1, 1024, &enc->n_layers, err) < 0 ||
		cfg_int(config, "num_attention_heads", -1, 1, 1024, &enc->n_heads, err) < 0 ||
		cfg_int(config, "intermediate_size", -1, 1, 1 << 20, &enc->inter, err) < 0)
		return -1;
	if (enc->hidden % enc->n_heads != 0)
		return vf_error(err, VF_ERR_DATA,
						"config.json hidden_size %d is not a multiple of num_attention_heads %d",
						enc->hidden, enc->n_heads);
	enc->head_dim = enc->hidden / enc->n_heads;
	eps = vf_json_get_number(config, "layer_norm_eps", 1e-12);
	if (!(eps > 0.0 && eps < 1.0))
		return vf_error(err, VF_ERR_DATA, "config.json layer_norm_eps %g is out of range", eps);
	enc->eps = (float) eps;
	return 0;
}

/* Vocabulary size from the embedding table, which must agree with config.json. */
static int
bind_vocab(VfEncoder *enc, Binder *b, const VfJson *config, VfError *err)
{
	const VfTensorView *t = lookup(b, "embeddings.word_embeddings.weight");
	int			cfg_vocab;

	if (t == NULL)
		return vf_error(err, VF_ERR_DATA, "checkpoint has no tensor \"%sembeddings.word_embeddings.weight\"",
						b->prefix);
	if (t->ndim != 2 || t->shape[1] != enc->hidden || t->shape[0] < 1 || t->shape[0] > (1 << 24))
		return vf_error(err, VF_ERR_DATA, "tensor \"%sembeddings.word_embeddings.weight\" should have shape [vocab_size, %d]",
						b->prefix, enc->hidden);
	enc->vocab = (int) t->shape[0];
	if (cfg_int(config, "vocab_size", enc->vocab, 1, 1 << 24, &cfg_vocab, err) < 0)
		return -1;
	if (cfg_vocab != enc->vocab)
		return vf_error(err, VF_ERR_DATA, "config.json vocab_size %d disagrees with the embedding table (%d rows)",
						cfg_vocab, enc->vocab);
	enc->word_emb = t->data;
	return 0;
}

static int
bind_states(VfEncoder *enc, Binder *b, const VfJson *config, VfError *err)
{
	if (cfg_int(config, "num_epigenetic_states", 0, 0, 1 << 16, &enc->n_states, err) < 0)
		return -1;
	if (enc->n_states > 0)
		enc->state_emb = need(b, enc->n_states, enc->hidden,
							  "embeddings.epigenetic_state_embeddings.weight");
	return b->failed ? -1 : 0;
}

static int
bind_esm(VfEncoder *enc, Binder *b, const VfJson *config, VfError *err)
{
	const char *pet = vf_json_get_string(config, "position_embedding_type", "absolute");
	int			max_pos,
				H,
				I;
	bool		ffn_bias = vf_json_get_bool(config, "add_bias_fnn", true);
	const VfTensorView *t;

	b->prefix = has_prefixed(b->ckpt, "esm.", "embeddings.word_embeddings.weight") ? "esm." : "";
	if (read_common(enc, config, err) < 0 ||
		cfg_int(config, "max_position_embeddings", -1, 2, 1 << 20, &max_pos, err) < 0 ||
		cfg_int(config, "pad_token_id", 1, 0, 1 << 24, &enc->pad_id, err) < 0 ||
		cfg_int(config, "mask_token_id", -1, -1, 1 << 24, &enc->mask_id, err) < 0 ||
		bind_vocab(enc, b, config, err) < 0)
		return -1;
	H = enc->hidden;
	I = enc->inter;
	enc->pre_ln = true;
	enc->esm_positions = true;
	enc->token_dropout = vf_json_get_bool(config, "token_dropout", false);
	if (enc->token_dropout && enc->mask_id < 0)
		return vf_error(err, VF_ERR_DATA, "config.json sets token_dropout but no mask_token_id");
	if (max_pos <= enc->pad_id + 1)
		return vf_error(err, VF_ERR_DATA, "config.json max_position_embeddings %d leaves no position after pad_token_id %d",
						max_pos, enc->pad_id);
	enc->max_tokens = max_pos - enc->pad_id - 1;
	if (strcmp(pet, "absolute") == 0)
	{
		enc->pos = VF_POS_ABSOLUTE;
		enc->pos_emb = need(b, max_pos, H, "embeddings.position_embeddings.weight");
	}
	else if (strcmp(pet, "rotary") == 0)
	{
		if (enc->head_dim % 2 != 0)
			return vf_error(err, VF_ERR_DATA, "rotary embeddings need an even head size, not %d", enc->head_dim);
		enc->pos = VF_POS_ROTARY;
		enc->rope_base = 10000.0;
	}
	else
		return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported ESM position_embedding_type \"%s\" (absolute and rotary are)", pet);
	if (vf_json_get_bool(config, "emb_layer_norm_before", false))
		need_ln(b, H, "embeddings.layer_norm", &enc->emb_ln_w, &enc->emb_ln_b);

	/* NT v2's intermediate.dense is twice as tall (SwiGLU); NT v1's is a plain GELU MLP */
	t = lookup(b, "encoder.layer.0.intermediate.dense.weight");
	if (t != NULL && !(t->ndim == 2 && t->shape[1] == H &&
					   (t->shape[0] == I || t->shape[0] == 2 * (int64_t) I)))
		return vf_error(err, VF_ERR_DATA,
						"tensor \"%sencoder.layer.0.intermediate.dense.weight\" should have shape [%d, %d] (GELU) or [%d, %d] (SwiGLU)",
						b->prefix, I, H, 2 * I, H);
	enc->ffn = (t != NULL && t->shape[0] == 2 * (int64_t) I) ? VF_FFN_GLU : VF_FFN_MLP;
	enc->act = enc->ffn == VF_FFN_GLU ? VF_ACT_SILU : VF_ACT_GELU;
	enc->arch = enc->pos == VF_POS_ROTARY ? "esm (Nucleotide Transformer v2 style)" : "esm (Nucleotide Transformer v1 style)";
	int			rows_in = enc->ffn == VF_FFN_GLU ? 2 * I : I;

	for (int l = 0; l < enc->n_layers && !b->failed; l++)
	{
		VfEncLayer *L = &enc->layers[l];

		L->wq = need(b, H, H, "encoder.layer.%d.attention.self.query.weight", l);
		L->bq = need(b, H, -1, "encoder.layer.%d.attention.self.query.bias", l);
		L->wk = need(b, H, H, "encoder.layer.%d.attention.self.key.weight", l);
		L->bk = need(b, H, -1, "encoder.layer.%d.attention.self.key.bias", l);
		L->wv = need(b, H, H, "encoder.layer.%d.attention.self.value.weight", l);
		L->bv = need(b, H, -1, "encoder.layer.%d.attention.self.value.bias", l);
		L->wo = need(b, H, H, "encoder.layer.%d.attention.output.dense.weight", l);
		L->bo = need(b, H, -1, "encoder.layer.%d.attention.output.dense.bias", l);
		{
			char		base[96];

			snprintf(base, sizeof(base), "encoder.layer.%d.attention.LayerNorm", l);
			need_ln(b, H, base, &L->ln1_w, &L->ln1_b);
			snprintf(base, sizeof(base), "encoder.layer.%d.LayerNorm", l);
			need_ln(b, H, base, &L->ln2_w, &L->ln2_b);
		}
		L->w_in = need(b, rows_in, H, "encoder.layer.%d.intermediate.dense.weight", l);
		L->w_out = need(b, H, I, "encoder.layer.%d.output.dense.weight", l);
		if (ffn_bias)
		{
			L->b_in = need(b, rows_in, -1, "encoder.layer.%d.intermediate.dense.bias", l);
			L->b_out = need(b, H, -1, "encoder.layer.%d.output.dense.bias", l);
		}
	}
	need_ln(b, H, "encoder.emb_layer_norm_after", &enc->final_ln_w, &enc->final_ln_b);
	return b->failed ? -1 : bind_states(enc, b, config, err);
}

/* HF BertModel (GROVER) and MosaicBERT (DNABERT-2) share embeddings and post-LN layout. */
static int
bind_bert(VfEncoder *enc, Binder *b, const VfJson *config, bool mosaic, VfError *err)
{
	int			H,
				I,
				type_vocab,
				max_pos;

	if (read_common(enc, config, err) < 0 ||
		cfg_int(config, "type_vocab_size", 2, 1, 1 << 16, &type_vocab, err) < 0 ||
		cfg_int(config, "max_position_embeddings", 512, 1, 1 << 20, &max_pos, err) < 0 ||
		cfg_int(config, "pad_token_id", 0, 0, 1 << 24, &enc->pad_id, err) < 0 ||
		bind_vocab(enc, b, config, err) < 0)
		return -1;
	H = enc->hidden;
	I = enc->inter;
	enc->pre_ln = false;
	enc->mask_id = -1;
	enc->type_emb = need(b, type_vocab, H, "embeddings.token_type_embeddings.weight");
	need_ln(b, H, "embeddings.LayerNorm", &enc->emb_ln_w, &enc->emb_ln_b);
	if (mosaic)
	{
		int			alibi_start;

		if (cfg_int(config, "alibi_starting_size", 512, 1, 1 << 20, &alibi_start, err) < 0)
			return -1;
		enc->arch = "bert with ALiBi (DNABERT-2 / MosaicBERT style)";
		enc->pos = VF_POS_ALIBI;
		/* ALiBi extrapolates (bert_layers.py rebuilds the bias for longer inputs) */
		enc->max_tokens = alibi_start > ALIBI_MAX_TOKENS ? alibi_start : ALIBI_MAX_TOKENS;
		enc->ffn = VF_FFN_GLU;
		enc->act = VF_ACT_GELU; /* nn.GELU(approximate='none') whatever hidden_act says */
		enc->alibi_slopes = malloc(sizeof(float) * enc->n_heads);
		if (enc->alibi_slopes == NULL)
			return vf_error(err, VF_ERR_NOMEM, "out of memory");
		vf_alibi_slopes(enc->alibi_slopes, enc->n_heads);
	}
	else
	{
		const char *pet = vf_json_get_string(config, "position_embedding_type", "absolute");

		if (strcmp(pet, "absolute") != 0)
			return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported BERT position_embedding_type \"%s\" (absolute is)", pet);
		enc->arch = "bert (GROVER style)";
		enc->pos = VF_POS_ABSOLUTE;
		enc->max_tokens = max_pos;
		enc->pos_emb = need(b, max_pos, H, "embeddings.position_embeddings.weight");
		enc->ffn = VF_FFN_MLP;
		if (cfg_activation(config, &enc->act, err) < 0)
			return -1;
	}
	for (int l = 0; l < enc->n_layers && !b->failed; l++)
	{
		VfEncLayer *L = &enc->layers[l];
		char		base[96];

		if (mosaic)
		{
			L->wqkv = need(b, 3 * H, H, "encoder.layer.%d.attention.self.Wqkv.weight", l);
			L->bqkv = need(b, 3 * H, -1, "encoder.layer.%d.attention.self.Wqkv.bias", l);
		}
		else
		{
			L->wq = need(b, H, H, "encoder.layer.%d.attention.self.query.weight", l);
			L->bq = need(b, H, -1, "encoder.layer.%d.attention.self.query.bias", l);
			L->wk = need(b, H, H, "encoder.layer.%d.attention.self.key.weight", l);
			L->bk = need(b, H, -1, "encoder.layer.%d.attention.self.key.bias", l);
			L->wv = need(b, H, H, "encoder.layer.%d.attention.self.value.weight", l);
			L->bv = need(b, H, -1, "encoder.layer.%d.attention.self.value.bias", l);
		}
		L->wo = need(b, H, H, "encoder.layer.%d.attention.output.dense.weight", l);
		L->bo = need(b, H, -1, "encoder.layer.%d.attention.output.dense.bias", l);
		snprintf(base, sizeof(base), "encoder.layer.%d.attention.output.LayerNorm", l);
		need_ln(b, H, base, &L->ln1_w, &L->ln1_b);
		if (mosaic)
		{
			L->w_in = need(b, 2 * I, H, "encoder.layer.%d.mlp.gated_layers.weight", l);
			L->w_out = need(b, H, I, "encoder.layer.%d.mlp.wo.weight", l);
			L->b_out = need(b, H, -1, "encoder.layer.%d.mlp.wo.bias", l);
			snprintf(base, sizeof(base), "encoder.layer.%d.mlp.layernorm", l);
		}
		else
		{
			L->w_in = need(b, I, H, "encoder.layer.%d.intermediate.dense.weight", l);
			L->b_in = need(b, I, -1, "encoder.layer.%d.intermediate.dense.bias", l);
			L->w_out = need(b, H, I, "encoder.layer.%d.output.dense.weight", l);
			L->b_out = need(b, H, -1, "encoder.layer.%d.output.dense.bias", l);
			snprintf(base, sizeof(base), "encoder.layer.%d.output.LayerNorm", l);
		}
		need_ln(b, H, base, &L->ln2_w, &L->ln2_b);
	}
	return b->failed ? -1 : bind_states(enc, b, config, err);
}

static bool
architectures_mention(const VfJson *config, const char *what)
{
	const VfJson *a = vf_json_get(config, "architectures");

	if (a == NULL || a->type != VF_JSON_ARRAY)
		return false;
	for (size_t i = 0; i < a->len; i++)
		if (a->items[i].type == VF_JSON_STRING && strstr(a->items[i].str, what) != NULL)
			return true;
	return false;
}

int
vf_encoder_bind(VfEncoder *enc, const VfCheckpoint *ckpt, const VfJson *config, VfError *err)
{
	Binder		b = {ckpt, "", err, false};
	const char *model_type;
	int			n_layers;

	if (config == NULL || config->type != VF_JSON_OBJECT)
		return vf_error(err, VF_ERR_DATA, "encoder model has no config.json object");
	model_type = vf_json_get_string(config, "model_type", "");
	/* layers are allocated before binding so that every family fills the same array */
	if (cfg_int(config, "num_hidden_layers", -1, 1, 1024, &n_layers, err) < 0)
		return -1;
	enc->layers = calloc(n_layers, sizeof(VfEncLayer));
	if (enc->layers == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");

	if (strcmp(model_type, "esm") == 0 ||
		(model_type[0] == '\0' && architectures_mention(config, "Esm")))
		return bind_esm(enc, &b, config, err);
	if (strcmp(model_type, "bert") == 0 ||
		(model_type[0] == '\0' && architectures_mention(config, "Bert")))
	{
		const char *prefix = has_prefixed(ckpt, "bert.", "embeddings.word_embeddings.weight") ? "bert." : "";
		bool		mosaic = vf_json_get(config, "alibi_starting_size") != NULL ||
			has_prefixed(ckpt, prefix, "encoder.layer.0.attention.self.Wqkv.weight");

		b.prefix = prefix;
		return bind_bert(enc, &b, config, mosaic, err);
	}
	vf_error(err, VF_ERR_UNSUPPORTED, "unsupported encoder architecture \"%s\"",
			 model_type[0] ? model_type : "(config.json has no model_type)");
	vf_error_hint(err, "Supported: %s.", SUPPORTED_ARCHS);
	return -1;
}
