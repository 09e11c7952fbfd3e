/*
 * transformer_check.c: the load-time check of the "esm" and "bert" rows (plain C).
 *
 * load_model runs it before it takes shared memory, also for a bare .safetensors file that
 * has no config.json, so it asks for names only: the embedding table, then every layer's
 * projections for as many layers as config.json promises (or the checkpoint has). Shapes,
 * biases and norms are bound when a backend first builds the model (transformer_config.c).
 * A checkpoint saved from the bare model has no prefix ("embeddings..."), one saved from the
 * *ForMaskedLM wrapper has one ("esm.embeddings..."): the word-embedding tensor tells which.
 */
#include <stdio.h>
#include <string.h>

#include "varformer/models/model_arch.h"
#include "varformer/models/transformer.h"

/* Highest N such that "<prefix>encoder.layer.N." has a tensor, plus one. */
static int
count_layers(const VfCheckpoint *c, const char *prefix)
{
	char		probe[256];
	int			n = 0;
	size_t		plen;

	for (;;)
	{
		int			found = 0;

		snprintf(probe, sizeof(probe), "%sencoder.layer.%d.", prefix, n);
		plen = strlen(probe);
		for (int i = 0; i < c->n_tensor && !found; i++)
			found = strncmp(c->tensor[i].name, probe, plen) == 0;
		if (!found)
			return n;
		n++;
	}
}

static int
require_layers(const VfCheckpoint *c, const char *arch, const char *prefix, int layers,
			   const char *const *per_layer, int n_per_layer, VfError *err)
{
	char		name[256];

	for (int l = 0; l < layers; l++)
		for (int k = 0; k < n_per_layer; k++)
		{
			const char *one[1] = {name};

			snprintf(name, sizeof(name), "%sencoder.layer.%d.%s", prefix, l, per_layer[k]);
			if (vf_checkpoint_require(c, one, 1, arch, err) != 0)
				return -1;
		}
	return 0;
}

int
vf_transformer_check(const VfArch *row, const VfCheckpoint *c, VfError *err)
{
	const char *arch = row->name;
	char		name[256];
	const char *one[1] = {name};
	const char *prefix;
	int			layers = -1;

	if (c->config_json)
	{
		VfError		e2;
		VfJsonDoc  *doc = vf_json_parse(c->config_json, c->config_len, &e2);

		if (doc)
		{
			layers = (int) vf_json_get_int(vf_json_root(doc), "num_hidden_layers", -1);
			vf_json_free(doc);
		}
	}

	/* embeddings, then every layer the config promises */
	prefix = strcmp(arch, "esm") == 0 ? "esm." : "bert.";
	snprintf(name, sizeof(name), "%sembeddings.word_embeddings.weight", prefix);
	if (vf_checkpoint_tensor(c, name) == NULL)
		prefix = "";
	snprintf(name, sizeof(name), "%sembeddings.word_embeddings.weight", prefix);
	if (vf_checkpoint_tensor(c, name) == NULL)
		snprintf(name, sizeof(name), "%s.embeddings.word_embeddings.weight", arch);
	if (vf_checkpoint_require(c, one, 1, arch, err) != 0)
		return -1;
	if (layers < 0)
		layers = count_layers(c, prefix);
	if (layers < 1)
		layers = 1;

	if (strcmp(arch, "esm") == 0)
	{
		static const char *const esm[] = {
			"attention.self.query.weight", "attention.self.key.weight",
			"attention.self.value.weight", "attention.output.dense.weight",
			"attention.LayerNorm.weight", "intermediate.dense.weight",
			"output.dense.weight", "LayerNorm.weight"};

		return require_layers(c, arch, prefix, layers, esm, 8, err);
	}
	else
	{
		/* DNABERT-2 (MosaicBERT) fuses QKV and gates its MLP; classic BERT does neither */
		static const char *const mosaic[] = {
			"attention.self.Wqkv.weight", "attention.output.dense.weight",
			"mlp.gated_layers.weight", "mlp.wo.weight"};
		static const char *const classic[] = {
			"attention.self.query.weight", "attention.self.key.weight",
			"attention.self.value.weight", "attention.output.dense.weight",
			"intermediate.dense.weight", "output.dense.weight"};

		snprintf(name, sizeof(name), "%sencoder.layer.0.attention.self.Wqkv.weight", prefix);
		if (vf_checkpoint_tensor(c, name) != NULL)
			return require_layers(c, arch, prefix, layers, mosaic, 4, err);
		return require_layers(c, arch, prefix, layers, classic, 6, err);
	}
}
