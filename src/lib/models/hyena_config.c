/*
 * hyena_config.c: a HyenaDNA checkpoint's configuration from config.json (the keys of the
 * -hf repositories' HyenaConfig) and its weights bound by the names HyenaDNAForCausalLM
 * (or the bare HyenaDNAModel) saves, plus load_model's check (plain C).
 *
 * The Sin activation is one module shared by every position of the implicit filter's MLP,
 * so a state_dict lists it as implicit_filter.1.freq, .3.freq, ... and a safetensors file
 * (which stores a shared tensor once) may keep any one of those names: the first present is
 * taken. pos_emb.t and modulation.deltas are buffers that older exports may lack; they are
 * then rebuilt as HyenaDNA builds them (linspace(0, 1, max_seq_len), and the decay rates
 * linspace(ln(1e-2) / 1.5, ln(1e-2) / 0.3, d_model)).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/models/hyena.h"
#include "varformer/models/model_arch.h"
#include "tensor_bind.h"

#define MAX_INNER_MLPS 6		/* f_w[] holds num_inner_mlps + 1 linears */
#define MAX_SEQ_LEN (1 << 24)	/* 16 M tokens; the 1 Mb model has 1,000,002 */

static const char *const prefixes[] = {"hyena.backbone.", "backbone.", ""};

/* The prefix under which the word embeddings are, or NULL. */
static const char *
find_prefix(const VfCheckpoint *ckpt)
{
	char		name[96];

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
	{
		snprintf(name, sizeof(name), "%sembeddings.word_embeddings.weight", prefixes[i]);
		if (vf_checkpoint_tensor(ckpt, name) != NULL)
			return prefixes[i];
	}
	return NULL;
}

static int
count_layers(const VfCheckpoint *ckpt, const char *prefix)
{
	char		name[128];
	int			n = 0;

	for (;;)
	{
		snprintf(name, sizeof(name), "%slayers.%d.mixer.in_proj.weight", prefix, n);
		if (vf_checkpoint_tensor(ckpt, name) == NULL)
			return n;
		n++;
	}
}

int
vf_hyena_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err)
{
	static const char *const per_layer[] = {
		"mixer.in_proj.weight", "mixer.short_filter.weight", "mixer.out_proj.weight",
		"mixer.filter_fn.pos_emb.z", "mixer.filter_fn.implicit_filter.0.weight",
		"mixer.filter_fn.bias", "norm1.weight", "norm2.weight", "mlp.fc1.weight",
	"mlp.fc2.weight"};
	const char *prefix = find_prefix(ckpt);
	char		name[160];
	const char *one[1] = {name};
	int			layers = -1;

	if (prefix == NULL)
	{
		vf_error(err, VF_ERR_DATA,
				 "%s checkpoint has no tensor \"hyena.backbone.embeddings.word_embeddings.weight\"",
				 arch->name);
		vf_error_hint(err, "HyenaDNA checkpoints name it so (HyenaDNAForCausalLM), or \"backbone.embeddings...\" (HyenaDNAModel).");
		return -1;
	}
	if (ckpt->config_json)
	{
		VfError		e2;
		VfJsonDoc  *doc = vf_json_parse(ckpt->config_json, ckpt->config_len, &e2);

		if (doc)
		{
			layers = (int) vf_json_get_int(vf_json_root(doc), "n_layer", -1);
			vf_json_free(doc);
		}
	}
	if (layers < 0)
		layers = count_layers(ckpt, prefix);
	if (layers < 1)
		layers = 1;
	for (int l = 0; l < layers; l++)
		for (size_t k = 0; k < sizeof(per_layer) / sizeof(per_layer[0]); k++)
		{
			snprintf(name, sizeof(name), "%slayers.%d.%s", prefix, l, per_layer[k]);
			if (vf_checkpoint_require(ckpt, one, 1, arch->name, err) != 0)
				return -1;
		}
	snprintf(name, sizeof(name), "%sln_f.weight", prefix);
	return vf_checkpoint_require(ckpt, one, 1, arch->name, err);
}

void *
vf_hyena_read_config(const VfArch *arch, const VfJson *config, const VfCheckpoint *ckpt,
					 VfError *err)
{
	VfHyenaConfig *c = calloc(1, sizeof(VfHyenaConfig));
	const char *prefix = find_prefix(ckpt);
	int			vocab_size,
				multiple,
				order,
				short_order;

	(void) arch;
	if (c == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (prefix == NULL)
	{
		vf_error(err, VF_ERR_DATA, "checkpoint has no tensor \"hyena.backbone.embeddings.word_embeddings.weight\"");
		goto fail;
	}
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix);
	if (vf_cfg_int(config, "d_model", -1, 1, 65536, &c->d, err) < 0 ||
		vf_cfg_int(config, "n_layer", -1, 1, 1024, &c->n_layers, err) < 0 ||
		vf_cfg_int(config, "d_inner", 4 * (int64_t) c->d, 1, 1 << 20, &c->d_inner, err) < 0 ||
		vf_cfg_int(config, "vocab_size", 12, 1, 1 << 20, &vocab_size, err) < 0 ||
		vf_cfg_int(config, "pad_vocab_size_multiple", 8, 1, 1024, &multiple, err) < 0 ||
		vf_cfg_int(config, "max_seq_len", 1024, 1, MAX_SEQ_LEN, &c->max_seq_len, err) < 0 ||
		vf_cfg_int(config, "hyena_order", 2, 2, 16, &order, err) < 0 ||
		vf_cfg_int(config, "filter_order", 64, 1, 4096, &c->filter_order, err) < 0 ||
		vf_cfg_int(config, "short_filter_order", 3, 1, 64, &short_order, err) < 0 ||
		vf_cfg_int(config, "emb_dim", 3, 3, 1025, &c->emb_dim, err) < 0 ||
		vf_cfg_int(config, "num_inner_mlps", 2, 0, MAX_INNER_MLPS, &c->num_inner_mlps, err) < 0)
		goto fail;
	/* the -hf HyenaFilter's last linear has d_model outputs: only order 2 runs there */
	if (order != 2)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "config.json hyena_order %d is not supported; HyenaDNA uses 2", order);
		goto fail;
	}
	/* padding 2 with a wider kernel would read future positions: not a causal model */
	if (short_order != 3)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "config.json short_filter_order %d is not supported; HyenaDNA uses 3", short_order);
		goto fail;
	}
	if (c->emb_dim % 2 == 0)
	{
		vf_error(err, VF_ERR_DATA, "config.json emb_dim %d must be odd (time, then cosine and sine bands)", c->emb_dim);
		goto fail;
	}
	c->vocab = (vocab_size + multiple - 1) / multiple * multiple;
	c->eps = (float) vf_json_get_number(config, "layer_norm_epsilon", 1e-5);
	snprintf(c->label, sizeof(c->label), "hyenadna (HyenaDNA, d_model %d, %d layers, max_seq_len %d)",
			 c->d, c->n_layers, c->max_seq_len);
	return c;
fail:
	free(c);
	return NULL;
}

/* The shared Sin activation's freq under whichever of its names the file kept. */
static const float *
bind_freq(VfBinder *b, const VfHyenaConfig *c, int l)
{
	int64_t		shape[2] = {1, c->filter_order};

	for (int i = 0; i <= c->num_inner_mlps; i++)
	{
		const float *f = vf_bind_shape(b, true, 2, shape,
									   "layers.%d.mixer.filter_fn.implicit_filter.%d.freq", l, 2 * i + 1);

		if (f != NULL || b->failed)
			return f;
	}
	return vf_bind_shape(b, false, 2, shape, "layers.%d.mixer.filter_fn.implicit_filter.1.freq", l);
}

void *
vf_hyena_bind(const void *config, const VfCheckpoint *ckpt, VfError *err)
{
	const VfHyenaConfig *c = config;
	VfHyenaWeights *w = calloc(1, sizeof(VfHyenaWeights));
	VfBinder	b = {ckpt, c->prefix, err, false};
	int			d = c->d,
				fo = c->filter_order,
				L = c->max_seq_len;
	size_t		per_layer = (size_t) 9 * d + (size_t) L + (size_t) d;	/* taps, t, deltas */
	float	   *own;

	if (w == NULL || (w->layers = calloc(c->n_layers, sizeof(VfHyenaLayer))) == NULL ||
		(w->owned = malloc(sizeof(float) * per_layer * c->n_layers)) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory binding HyenaDNA weights");
		goto fail;
	}
	w->word_emb = vf_bind_need(&b, c->vocab, d, "embeddings.word_embeddings.weight");
	w->lnf_w = vf_bind_need(&b, d, -1, "ln_f.weight");
	w->lnf_b = vf_bind_need(&b, d, -1, "ln_f.bias");
	own = w->owned;
	for (int l = 0; l < c->n_layers && !b.failed; l++)
	{
		VfHyenaLayer *Y = &w->layers[l];
		int64_t		sf_shape[3] = {3 * d, 1, 3},
					z_shape[3] = {1, L, c->emb_dim},
					t_shape[3] = {1, L, 1},
					dl_shape[3] = {1, 1, d};
		const float *sf,
				   *t,
				   *deltas;

		Y->norm1_w = vf_bind_need(&b, d, -1, "layers.%d.norm1.weight", l);
		Y->norm1_b = vf_bind_need(&b, d, -1, "layers.%d.norm1.bias", l);
		Y->norm2_w = vf_bind_need(&b, d, -1, "layers.%d.norm2.weight", l);
		Y->norm2_b = vf_bind_need(&b, d, -1, "layers.%d.norm2.bias", l);
		Y->in_w = vf_bind_need(&b, 3 * d, d, "layers.%d.mixer.in_proj.weight", l);
		Y->in_b = vf_bind_need(&b, 3 * d, -1, "layers.%d.mixer.in_proj.bias", l);
		sf = vf_bind_shape(&b, false, 3, sf_shape, "layers.%d.mixer.short_filter.weight", l);
		Y->sf_b = vf_bind_need(&b, 3 * d, -1, "layers.%d.mixer.short_filter.bias", l);
		Y->out_w = vf_bind_need(&b, d, d, "layers.%d.mixer.out_proj.weight", l);
		Y->out_b = vf_bind_need(&b, d, -1, "layers.%d.mixer.out_proj.bias", l);
		Y->skip = vf_bind_need(&b, d, -1, "layers.%d.mixer.filter_fn.bias", l);
		Y->z = vf_bind_shape(&b, false, 3, z_shape, "layers.%d.mixer.filter_fn.pos_emb.z", l);
		t = vf_bind_shape(&b, true, 3, t_shape, "layers.%d.mixer.filter_fn.pos_emb.t", l);
		deltas = vf_bind_shape(&b, true, 3, dl_shape, "layers.%d.mixer.filter_fn.modulation.deltas", l);
		Y->freq = bind_freq(&b, c, l);
		Y->f_w[0] = vf_bind_need(&b, fo, c->emb_dim, "layers.%d.mixer.filter_fn.implicit_filter.0.weight", l);
		Y->f_b[0] = vf_bind_need(&b, fo, -1, "layers.%d.mixer.filter_fn.implicit_filter.0.bias", l);
		for (int i = 1; i <= c->num_inner_mlps; i++)
		{
			Y->f_w[i] = vf_bind_need(&b, fo, fo, "layers.%d.mixer.filter_fn.implicit_filter.%d.weight", l, 2 * i);
			Y->f_b[i] = vf_bind_need(&b, fo, -1, "layers.%d.mixer.filter_fn.implicit_filter.%d.bias", l, 2 * i);
		}
		Y->f_out = vf_bind_need(&b, d, fo, "layers.%d.mixer.filter_fn.implicit_filter.%d.weight", l,
								2 * c->num_inner_mlps + 2);
		Y->fc1_w = vf_bind_need(&b, c->d_inner, d, "layers.%d.mlp.fc1.weight", l);
		Y->fc1_b = vf_bind_need(&b, c->d_inner, -1, "layers.%d.mlp.fc1.bias", l);
		Y->fc2_w = vf_bind_need(&b, d, c->d_inner, "layers.%d.mlp.fc2.weight", l);
		Y->fc2_b = vf_bind_need(&b, d, -1, "layers.%d.mlp.fc2.bias", l);
		if (b.failed)
			break;

		/* short filter taps per channel, so the convolution loop reads them contiguously */
		Y->sf_w0 = own;
		Y->sf_w1 = own + 3 * d;
		Y->sf_w2 = own + 6 * d;
		for (int ch = 0; ch < 3 * d; ch++)
		{
			Y->sf_w0[ch] = sf[3 * ch];
			Y->sf_w1[ch] = sf[3 * ch + 1];
			Y->sf_w2[ch] = sf[3 * ch + 2];
		}
		own += 9 * d;
		if (t == NULL)
		{
			for (int i = 0; i < L; i++)
				own[i] = L > 1 ? (float) ((double) i / (L - 1)) : 0.0f;
			t = own;
		}
		Y->t = t;
		own += L;
		if (deltas == NULL)
		{
			double		lo = log(1e-2) / 1.5,
						hi = log(1e-2) / 0.3;

			for (int i = 0; i < d; i++)
				own[i] = (float) (d > 1 ? lo + (hi - lo) * i / (d - 1) : lo);
			deltas = own;
		}
		Y->deltas = deltas;
		own += d;
	}
	if (b.failed)
		goto fail;
	return w;
fail:
	vf_hyena_release(NULL, w, NULL);
	return NULL;
}

void
vf_hyena_info(const void *config, VfModelInfo *info)
{
	const VfHyenaConfig *c = config;

	info->label = c->label;
	info->kind = VF_KIND_ENCODER;
	info->max_input = c->max_seq_len;
	info->out_cols = c->d;
	info->out_rows = 0;
	info->n_states = 0;
}

int
vf_hyena_output_rows(const void *config, int n)
{
	(void) config;
	return n;
}

double
vf_hyena_flops(const void *config, int n)
{
	const VfHyenaConfig *c = config;
	double		d = c->d,
				N = n,
				fo = c->filter_order,
				nfft = 2.0 * N;
	double		per_layer = 2 * N * d * 3 * d	/* in_proj */
		+ 2 * N * d * d			/* out_proj */
		+ 4 * N * d * c->d_inner	/* fc1, fc2 */
		+ 2 * N * (c->emb_dim * fo + c->num_inner_mlps * fo * fo + fo * d)	/* filter MLP */
		+ d * 3 * 2.5 * nfft * log2(nfft);	/* three real FFTs per channel */

	return per_layer * c->n_layers;
}
