/*
 * enformer_config.c: an Enformer checkpoint's configuration (config.json) and its weights
 * bound by either naming scheme onto the one internal trunk of enformer.h (plain C).
 *
 * Which scheme a checkpoint uses is read from its tensor names, not from config.json:
 *   enformer-pytorch  stem.0.weight (or its alias _trunk.1.0.weight); config keys dim, depth,
 *                     heads, attn_dim_key, num_downsamples, dim_divisible_by, target_length,
 *                     output_heads, use_tf_gamma, with EnformerConfig's defaults.
 *   gReLU             [model.][embedding.]conv_tower.blocks.0.0.weight; config keys n_tasks,
 *                     n_conv, channels, n_transformers, n_heads, key_len, crop_len,
 *                     final_act_func, final_pool_func, with EnformerModel's defaults. The tower
 *                     channels are divisible by 128 as gReLU fixes it.
 * Dropout settings are read by neither: inference ignores them.
 *
 * Batch norm is folded at bind time into its inference form, a per-channel affine map. It
 * cannot go further, into a convolution's weights: every batch norm in Enformer is followed
 * by GELU before its convolution (ConvBlock = BN -> GELU -> Conv), and the tensor before
 * each one is either used twice (the residual branches read the conv output that also
 * feeds the skip), an attention pool's output (not linear in its input) or the transformer's
 * residual stream. The forward pass applies the affine map and the GELU in one pass over
 * each convolution's input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/kernels/conv_kernels.h"
#include "varformer/models/enformer.h"
#include "varformer/models/model_arch.h"
#include "tensor_bind.h"

#define BN_EPS 1e-5f
#define MAX_POSITIONS 4096		/* transformer positions: caps the n x n attention */

static bool
has(const VfCheckpoint *ckpt, const char *name)
{
	return vf_checkpoint_tensor(ckpt, name) != NULL;
}

/* Finds the naming scheme and the tensor prefixes; false when neither scheme's stem is there. */
static bool
resolve_names(VfEnformerConfig *c, const VfCheckpoint *ckpt)
{
	static const char *const grelu_prefixes[] = {"", "embedding.", "model.embedding."};
	char		probe[128];

	if (has(ckpt, "stem.0.weight") || has(ckpt, "_trunk.1.0.weight"))
	{
		bool		direct = has(ckpt, "stem.0.weight");

		c->scheme = VF_ENFORMER_PYTORCH;
		strcpy(c->p_stem, direct ? "stem." : "_trunk.1.");
		strcpy(c->p_tower, has(ckpt, "conv_tower.0.0.2.weight") ? "conv_tower." : "_trunk.2.");
		strcpy(c->p_transformer, has(ckpt, "transformer.0.0.fn.0.weight") ? "transformer." : "_trunk.4.");
		strcpy(c->p_final, has(ckpt, "final_pointwise.1.2.weight") ? "final_pointwise." : "_trunk.6.");
		return true;
	}
	for (size_t i = 0; i < sizeof(grelu_prefixes) / sizeof(grelu_prefixes[0]); i++)
	{
		const char *p = grelu_prefixes[i];

		snprintf(probe, sizeof(probe), "%sconv_tower.blocks.0.0.weight", p);
		if (has(ckpt, probe))
		{
			c->scheme = VF_ENFORMER_GRELU;
			snprintf(c->p_stem, sizeof(c->p_stem), "%sconv_tower.blocks.", p);
			snprintf(c->p_tower, sizeof(c->p_tower), "%sconv_tower.blocks.", p);
			snprintf(c->p_transformer, sizeof(c->p_transformer), "%stransformer_tower.blocks.", p);
			snprintf(c->p_final, sizeof(c->p_final), "%spointwise_conv.", p);
			/* EnformerModel's head sits beside its embedding: strip "embedding." */
			snprintf(c->p_head, sizeof(c->p_head), "%.*shead.channel_transform.conv.layer.",
					 (int) (strlen(p) - (strstr(p, "embedding.") ? strlen("embedding.") : 0)), p);
			return true;
		}
	}
	return false;
}

/* The enformer-pytorch head predict_tracks returns: "human" when there is one, else the first. */
static int
read_output_heads(VfEnformerConfig *c, const VfJson *config, VfError *err)
{
	const VfJson *h = vf_json_get(config, "output_heads");
	const VfJson *pick = NULL;
	const char *name = NULL;

	if (h == NULL || h->type == VF_JSON_NULL)
	{
		/* EnformerConfig's default: human 5313, mouse 1643 */
		strcpy(c->head_name, "human");
		c->tracks = 5313;
		c->head = VF_HEAD_LINEAR_SOFTPLUS;
		return 0;
	}
	if (h->type != VF_JSON_OBJECT)
		return vf_error(err, VF_ERR_DATA, "config.json \"output_heads\" must be an object of head name to track count");
	if (h->len == 0)
	{
		c->head = VF_HEAD_NONE;
		return 0;
	}
	for (size_t i = 0; i < h->len; i++)
		if (strcmp(h->keys[i], "human") == 0)
			pick = &h->items[i], name = h->keys[i];
	if (pick == NULL)
		pick = &h->items[0], name = h->keys[0];
	if (pick->type != VF_JSON_NUMBER || !pick->is_integer || pick->integer < 1 || pick->integer > 1000000)
		return vf_error(err, VF_ERR_DATA, "config.json output_heads \"%s\" must be a positive track count", name);
	if (strlen(name) > 40 || strchr(name, '.') != NULL)
		return vf_error(err, VF_ERR_DATA, "config.json output head name \"%.60s\" is not a plain name", name);
	snprintf(c->head_name, sizeof(c->head_name), "%s", name);
	c->tracks = (int) pick->integer;
	c->head = VF_HEAD_LINEAR_SOFTPLUS;
	return 0;
}

static int
read_pytorch(VfEnformerConfig *c, const VfJson *config, VfError *err)
{
	int			downsamples,
				divisible;

	if (vf_cfg_int(config, "dim", 1536, 2, 16384, &c->dim, err) < 0 ||
		vf_cfg_int(config, "depth", 11, 0, 256, &c->depth, err) < 0 ||
		vf_cfg_int(config, "heads", 8, 1, 256, &c->heads, err) < 0 ||
		vf_cfg_int(config, "attn_dim_key", 64, 1, 4096, &c->dim_key, err) < 0 ||
		vf_cfg_int(config, "num_downsamples", 7, 3, VF_ENFORMER_MAX_BLOCKS + 1, &downsamples, err) < 0 ||
		vf_cfg_int(config, "dim_divisible_by", 128, 1, 16384, &divisible, err) < 0 ||
		vf_cfg_int(config, "target_length", 896, -1, 1 << 20, &c->target_length, err) < 0 ||
		read_output_heads(c, config, err) < 0)
		return -1;
	if (c->target_length == 0)
		return vf_error(err, VF_ERR_DATA, "config.json \"target_length\" must be positive or -1 (keep every bin)");
	if (vf_json_get_bool(config, "use_convnext", false))
		return vf_error(err, VF_ERR_UNSUPPORTED, "enformer-pytorch's use_convnext tower is not supported");
	c->tf_gamma = vf_json_get_bool(config, "use_tf_gamma", false);
	c->n_blocks = downsamples - 1;
	c->crop_len = 0;
	vf_enformer_filter_list(c->filters, c->dim, c->n_blocks, divisible);
	snprintf(c->p_head, sizeof(c->p_head), "_heads.%s.", c->head_name);
	return 0;
}

static int
read_grelu(VfEnformerConfig *c, const VfJson *config, const VfCheckpoint *ckpt, VfError *err)
{
	int			n_conv;
	char		probe[128];
	const VfJson *pool_member = vf_json_get(config, "final_pool_func");
	const char *act = vf_json_get_string(config, "final_act_func", NULL),
			   *pool = pool_member == NULL ? "avg" : vf_json_get_string(config, "final_pool_func", NULL);

	if (vf_cfg_int(config, "channels", 1536, 2, 16384, &c->dim, err) < 0 ||
		vf_cfg_int(config, "n_conv", 7, 3, VF_ENFORMER_MAX_BLOCKS + 1, &n_conv, err) < 0 ||
		vf_cfg_int(config, "n_transformers", 11, 0, 256, &c->depth, err) < 0 ||
		vf_cfg_int(config, "n_heads", 8, 1, 256, &c->heads, err) < 0 ||
		vf_cfg_int(config, "key_len", 64, 1, 4096, &c->dim_key, err) < 0 ||
		vf_cfg_int(config, "crop_len", 0, 0, 1 << 20, &c->crop_len, err) < 0)
		return -1;
	c->target_length = -1;
	c->n_blocks = n_conv - 1;
	vf_enformer_filter_list(c->filters, c->dim, c->n_blocks, 128);
	snprintf(probe, sizeof(probe), "%sweight", c->p_head);
	if (!has(ckpt, probe))
	{
		c->head = VF_HEAD_NONE;	/* a bare EnformerTrunk: its embedding is the output */
		return 0;
	}
	c->head = VF_HEAD_CONV;
	if (vf_cfg_int(config, "n_tasks", -1, 1, 1000000, &c->tracks, err) < 0)
		return -1;
	if (act == NULL)
		c->head_softplus = false;
	else if (strcmp(act, "softplus") == 0)
		c->head_softplus = true;
	else
		return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported final_act_func \"%s\" (softplus and null are)", act);
	if (pool == NULL)
		c->head_mean = false;
	else if (strcmp(pool, "avg") == 0)
		c->head_mean = true;
	else
		return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported final_pool_func \"%s\" (avg and null are)", pool);
	return 0;
}

/* Sizes that make a runnable trunk, and the input lengths it accepts. */
static int
check_sizes(VfEnformerConfig *c, VfError *err)
{
	int			scale = 1 << (c->n_blocks + 1);

	if (c->dim % 2 != 0)
		return vf_error(err, VF_ERR_DATA, "the trunk width %d must be even (the stem has half as many channels)", c->dim);
	if (c->dim % c->heads != 0)
		return vf_error(err, VF_ERR_DATA, "the trunk width %d is not a multiple of %d heads", c->dim, c->heads);
	c->dim_value = c->dim / c->heads;
	c->n_pos_features = c->dim / c->heads;
	if (c->depth > 0 && c->n_pos_features % 6 != 0)
		return vf_error(err, VF_ERR_DATA, "width / heads = %d relative position features is not a multiple of 6",
						c->n_pos_features);
	if (c->filters[c->n_blocks] != c->dim)
	{
		vf_error(err, VF_ERR_DATA, "the conv tower ends with %d channels, not the trunk width %d",
				 c->filters[c->n_blocks], c->dim);
		vf_error_hint(err, "The tower's channels grow from width / 2 to width in multiples of dim_divisible_by (128 in gReLU).");
		return -1;
	}
	if (c->tf_gamma && c->n_pos_features / 6 != 32)
		return vf_error(err, VF_ERR_DATA, "use_tf_gamma needs 32 gamma basis functions (width / heads = 192), not %d",
						c->n_pos_features / 6);
	/* transformer positions n = ceil(bases / scale); keep n x n attention bounded */
	c->max_bases = c->tf_gamma ? 1536 * scale : MAX_POSITIONS * scale;
	if (c->tf_gamma)
		c->min_bases = 1535 * scale + 1;
	else if (c->target_length > 0)
		c->min_bases = (c->target_length - 1) * scale + 1;
	else
		c->min_bases = 2 * c->crop_len * scale + 1;
	if (c->min_bases > c->max_bases)
		return vf_error(err, VF_ERR_DATA, "target_length %d needs more than %d transformer positions",
						c->target_length, MAX_POSITIONS);
	if (c->head == VF_HEAD_NONE)
		c->tracks = 2 * c->dim;
	return 0;
}

void *
vf_enformer_read_config(const VfArch *arch, const VfJson *config, const VfCheckpoint *ckpt,
						VfError *err)
{
	VfEnformerConfig *c;
	int			rc;

	(void) arch;
	if (config == NULL || config->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_DATA, "enformer model has no config.json object");
		return NULL;
	}
	if ((c = calloc(1, sizeof(VfEnformerConfig))) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!resolve_names(c, ckpt))
	{
		static const char *const stem[] = {"stem.0.weight"};

		vf_checkpoint_require(ckpt, stem, 1, "enformer", err);
		vf_error_hint(err, "An enformer checkpoint uses enformer-pytorch's names (stem.*, or _trunk.1.*) or gReLU's (conv_tower.blocks.*).");
		free(c);
		return NULL;
	}
	rc = c->scheme == VF_ENFORMER_PYTORCH ? read_pytorch(c, config, err) : read_grelu(c, config, ckpt, err);
	if (rc < 0 || check_sizes(c, err) < 0)
	{
		free(c);
		return NULL;
	}
	snprintf(c->label, sizeof(c->label), "enformer (%s names, %d channels, %d transformer blocks)",
			 c->scheme == VF_ENFORMER_PYTORCH ? "enformer-pytorch" : "gReLU", c->dim, c->depth);
	return c;
}

/* ---------------------------------------------------------------- binding */

typedef struct NormPool
{
	float	   *next;			/* scale/shift storage, carved from one allocation */
} NormPool;

static void
bind_norm(VfBinder *b, NormPool *pool, VfEnformerNorm *n, int ch, const char *base)
{
	const float *w = vf_bind_need(b, ch, -1, "%s.weight", base),
			   *bias = vf_bind_need(b, ch, -1, "%s.bias", base),
			   *mean = vf_bind_need(b, ch, -1, "%s.running_mean", base),
			   *var = vf_bind_need(b, ch, -1, "%s.running_var", base);

	if (b->failed)
		return;
	n->scale = pool->next;
	n->shift = pool->next + ch;
	pool->next += 2 * (size_t) ch;
	vf_batchnorm_affine(n->scale, n->shift, w, bias, mean, var, ch, BN_EPS);
}

static void
bind_conv(VfBinder *b, VfEnformerConv *cv, int in, int out, int k, const char *base)
{
	int64_t		shape[3] = {out, in, k};

	cv->in = in, cv->out = out, cv->k = k;
	cv->w = vf_bind_shape(b, false, 3, shape, "%s.weight", base);
	cv->b = vf_bind_need(b, out, -1, "%s.bias", base);
}

static void
bind_pool(VfBinder *b, VfEnformerStage *st, int ch, const char *name)
{
	int64_t		shape[4] = {ch, ch, 1, 1};

	st->pool_w = vf_bind_shape(b, false, 4, shape, "%s", name);
}

/* Per-scheme names of one stage's parts (the stem has no pre-conv norm). */
static void
bind_stage(VfBinder *b, NormPool *pool, const VfEnformerConfig *c, VfEnformerStage *st, int i)
{
	int			in = i == 0 ? 4 : c->filters[i - 1],
				out = c->filters[i],
				k = i == 0 ? 15 : 5;
	char		norm[160],
				conv[160],
				res_norm[160],
				res_conv[160],
				attn[160];

	if (c->scheme == VF_ENFORMER_PYTORCH)
	{
		const char *p = i == 0 ? c->p_stem : c->p_tower;
		char		s[96];

		if (i == 0)
			snprintf(s, sizeof(s), "%s", p);
		else
			snprintf(s, sizeof(s), "%s%d.", p, i - 1);
		snprintf(norm, sizeof(norm), "%s0.0", s);
		snprintf(conv, sizeof(conv), i == 0 ? "%s0" : "%s0.2", s);
		snprintf(res_norm, sizeof(res_norm), "%s1.fn.0", s);
		snprintf(res_conv, sizeof(res_conv), "%s1.fn.2", s);
		snprintf(attn, sizeof(attn), "%s2.to_attn_logits.weight", s);
	}
	else
	{
		const char *p = c->p_tower;

		snprintf(norm, sizeof(norm), "%s%d.0.norm.layer", p, i);
		snprintf(conv, sizeof(conv), i == 0 ? "%s%d.0" : "%s%d.0.conv", p, i);
		snprintf(res_norm, sizeof(res_norm), "%s%d.1.norm.layer", p, i);
		snprintf(res_conv, sizeof(res_conv), "%s%d.1.conv", p, i);
		snprintf(attn, sizeof(attn), "%s%d.1.pool.layer.to_attn_logits.weight", p, i);
	}
	st->pre_act = i > 0;
	if (st->pre_act)
		bind_norm(b, pool, &st->norm, in, norm);
	bind_conv(b, &st->conv, in, out, k, conv);
	bind_norm(b, pool, &st->res_norm, out, res_norm);
	bind_conv(b, &st->res_conv, out, out, 1, res_conv);
	bind_pool(b, st, out, attn);
}

static void
bind_attention(VfBinder *b, const VfEnformerConfig *c, VfEnformerLayer *L, const char *a)
{
	int			C = c->dim,
				hk = c->heads * c->dim_key,
				hv = c->heads * c->dim_value;
	int64_t		bias_shape[4] = {1, c->heads, 1, c->dim_key};

	L->wq = vf_bind_need(b, hk, C, "%s.to_q.weight", a);
	L->wk = vf_bind_need(b, hk, C, "%s.to_k.weight", a);
	L->wv = vf_bind_need(b, hv, C, "%s.to_v.weight", a);
	L->wo = vf_bind_need(b, C, hv, "%s.to_out.weight", a);
	L->bo = vf_bind_need(b, C, -1, "%s.to_out.bias", a);
	L->w_rel_k = vf_bind_need(b, hk, c->n_pos_features, "%s.to_rel_k.weight", a);
	L->rel_content_bias = vf_bind_shape(b, false, 4, bias_shape, "%s.rel_content_bias", a);
	L->rel_pos_bias = vf_bind_shape(b, false, 4, bias_shape, "%s.rel_pos_bias", a);
}

static void
bind_layer(VfBinder *b, const VfEnformerConfig *c, VfEnformerLayer *L, int l)
{
	int			C = c->dim;
	char		ln1[160],
				attn[160],
				ln2[160],
				ff1[160],
				ff2[160];
	const char *p = c->p_transformer;

	if (c->scheme == VF_ENFORMER_PYTORCH)
	{
		snprintf(ln1, sizeof(ln1), "%s%d.0.fn.0", p, l);
		snprintf(attn, sizeof(attn), "%s%d.0.fn.1", p, l);
		snprintf(ln2, sizeof(ln2), "%s%d.1.fn.0", p, l);
		snprintf(ff1, sizeof(ff1), "%s%d.1.fn.1", p, l);
		snprintf(ff2, sizeof(ff2), "%s%d.1.fn.4", p, l);
	}
	else
	{
		snprintf(ln1, sizeof(ln1), "%s%d.norm.layer", p, l);
		snprintf(attn, sizeof(attn), "%s%d.mha", p, l);
		snprintf(ln2, sizeof(ln2), "%s%d.ffn.dense1.norm.layer", p, l);
		snprintf(ff1, sizeof(ff1), "%s%d.ffn.dense1.linear", p, l);
		snprintf(ff2, sizeof(ff2), "%s%d.ffn.dense2.linear", p, l);
	}
	L->ln1_w = vf_bind_need(b, C, -1, "%s.weight", ln1);
	L->ln1_b = vf_bind_need(b, C, -1, "%s.bias", ln1);
	bind_attention(b, c, L, attn);
	L->ln2_w = vf_bind_need(b, C, -1, "%s.weight", ln2);
	L->ln2_b = vf_bind_need(b, C, -1, "%s.bias", ln2);
	L->w1 = vf_bind_need(b, 2 * C, C, "%s.weight", ff1);
	L->b1 = vf_bind_need(b, 2 * C, -1, "%s.bias", ff1);
	L->w2 = vf_bind_need(b, C, 2 * C, "%s.weight", ff2);
	L->b2 = vf_bind_need(b, C, -1, "%s.bias", ff2);
}

static void
bind_head(VfBinder *b, const VfEnformerConfig *c, VfEnformerWeights *w)
{
	int64_t		conv_shape[3] = {c->tracks, 2 * c->dim, 1};

	if (c->head == VF_HEAD_LINEAR_SOFTPLUS)
		w->head_w = vf_bind_need(b, c->tracks, 2 * c->dim, "%s0.weight", c->p_head);
	else if (c->head == VF_HEAD_CONV)
		w->head_w = vf_bind_shape(b, false, 3, conv_shape, "%sweight", c->p_head);
	else
		return;
	w->head_b = vf_bind_need(b, c->tracks, -1, c->head == VF_HEAD_CONV ? "%sbias" : "%s0.bias", c->p_head);
}

/* Floats of every batch norm's scale and shift. */
static size_t
norm_floats(const VfEnformerConfig *c)
{
	size_t		n = 2 * (size_t) c->filters[0] + 2 * (size_t) c->dim;

	for (int i = 1; i <= c->n_blocks; i++)
		n += 2 * (size_t) (c->filters[i - 1] + c->filters[i]);
	return n;
}

void *
vf_enformer_bind(const void *config, const VfCheckpoint *ckpt, VfError *err)
{
	const VfEnformerConfig *c = config;
	VfBinder	b = {ckpt, "", err, false};
	VfEnformerWeights *w = calloc(1, sizeof(VfEnformerWeights));
	NormPool	pool;
	char		final_norm[160],
				final_conv[160];

	if (w == NULL ||
		(w->layers = calloc(c->depth > 0 ? c->depth : 1, sizeof(VfEnformerLayer))) == NULL ||
		(w->norm_store = malloc(sizeof(float) * norm_floats(c))) == NULL)
	{
		vf_enformer_release(NULL, w, NULL);
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pool.next = w->norm_store;
	for (int i = 0; i <= c->n_blocks && !b.failed; i++)
		bind_stage(&b, &pool, c, &w->stages[i], i);
	for (int l = 0; l < c->depth && !b.failed; l++)
		bind_layer(&b, c, &w->layers[l], l);
	snprintf(final_norm, sizeof(final_norm), c->scheme == VF_ENFORMER_PYTORCH ? "%s1.0" : "%snorm.layer", c->p_final);
	snprintf(final_conv, sizeof(final_conv), c->scheme == VF_ENFORMER_PYTORCH ? "%s1.2" : "%sconv", c->p_final);
	bind_norm(&b, &pool, &w->final_norm, c->dim, final_norm);
	bind_conv(&b, &w->final_conv, c->dim, 2 * c->dim, 1, final_conv);
	bind_head(&b, c, w);
	if (!b.failed && c->tf_gamma)
	{
		/* enformer-pytorch's precomputed/tf_gammas.pt, if the checkpoint was given it */
		w->tf_gamma = vf_bind_maybe(&b, 2 * 1536 - 1, 32, "tf_gammas");
		if (w->tf_gamma == NULL && !b.failed)
		{
			if ((w->tf_gamma_own = malloc(sizeof(float) * (2 * 1536 - 1) * 32)) == NULL)
			{
				b.failed = true;
				vf_error(err, VF_ERR_NOMEM, "out of memory");
			}
			else
			{
				vf_enformer_tf_gamma_table(w->tf_gamma_own, 1536, 32);
				w->tf_gamma = w->tf_gamma_own;
			}
		}
	}
	if (b.failed)
	{
		vf_enformer_release(NULL, w, NULL);
		return NULL;
	}
	return w;
}

int
vf_enformer_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err)
{
	VfJsonDoc  *doc;
	void	   *config,
			   *weights = NULL;

	if (ckpt->config_json == NULL)
	{
		vf_error(err, VF_ERR_DATA, "an enformer checkpoint needs its config.json");
		vf_error_hint(err, "Load the directory that holds config.json and model.safetensors.");
		return -1;
	}
	if ((doc = vf_json_parse(ckpt->config_json, ckpt->config_len, err)) == NULL)
		return -1;
	config = vf_enformer_read_config(arch, vf_json_root(doc), ckpt, err);
	if (config != NULL)
		weights = vf_enformer_bind(config, ckpt, err);
	vf_json_free(doc);
	vf_enformer_release(config, weights, NULL);
	return weights != NULL ? 0 : -1;
}

void
vf_enformer_info(const void *config, VfModelInfo *info)
{
	const VfEnformerConfig *c = config;

	info->label = c->label;
	info->kind = VF_KIND_SEQ2FUNC;
	info->max_input = c->max_bases;
	info->out_cols = c->tracks;
	info->out_rows = c->target_length > 0 || c->head_mean ? vf_enformer_output_rows(c, c->min_bases) : 0;
	info->n_states = 0;
}
