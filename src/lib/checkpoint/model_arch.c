/*
 * model_arch.c: architectures load_model accepts, detected from config.json (plain C).
 *
 * Tensor names follow the Hugging Face / enformer-pytorch state dicts. A checkpoint saved
 * from the bare model has no prefix ("embeddings..."), one saved from the *ForMaskedLM
 * wrapper has one ("esm.embeddings..."): the word-embedding tensor tells which.
 */
#include <stdio.h>
#include <string.h>

#include "varformer/checkpoint/model_arch.h"

const char *const vf_supported_architectures = "esm (Nucleotide Transformer), bert (DNABERT-2, GROVER, BERT), enformer";

static const struct
{
	const char *key;			/* model_type or architectures[0] */
	const char *arch;
	VfModelKind kind;
}			arch_table[] = {
	{"esm", "esm", VF_KIND_ENCODER},
	{"EsmForMaskedLM", "esm", VF_KIND_ENCODER},
	{"EsmModel", "esm", VF_KIND_ENCODER},
	{"bert", "bert", VF_KIND_ENCODER},
	{"BertForMaskedLM", "bert", VF_KIND_ENCODER},
	{"BertModel", "bert", VF_KIND_ENCODER},
	{"enformer", "enformer", VF_KIND_SEQ2FUNC},
	{"Enformer", "enformer", VF_KIND_SEQ2FUNC},
};

int
vf_model_arch_detect(const char *config_json, size_t len, const char **arch, VfModelKind *kind,
					 VfError *err)
{
	VfJsonDoc  *doc;
	const VfJson *root,
			   *archs;
	const char *key = NULL;
	char		keybuf[128] = "";
	int			rc = -1;

	doc = vf_json_parse(config_json, len, err);
	if (doc == NULL)
	{
		char		m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		return vf_error(err, VF_ERR_CORRUPT, "config.json is not valid JSON: %s", m);
	}
	root = vf_json_root(doc);
	if (root->type != VF_JSON_OBJECT)
	{
		vf_error(err, VF_ERR_CORRUPT, "config.json is not a JSON object");
		goto done;
	}
	key = vf_json_get_string(root, "model_type", NULL);
	archs = vf_json_get(root, "architectures");
	if (key == NULL && archs && archs->type == VF_JSON_ARRAY && archs->len > 0 &&
		archs->items[0].type == VF_JSON_STRING)
		key = archs->items[0].str;
	if (key == NULL)
	{
		vf_error(err, VF_ERR_DATA, "config.json names no model_type or architectures");
		vf_error_hint(err, "Supported architectures: %s.", vf_supported_architectures);
		goto done;
	}
	snprintf(keybuf, sizeof(keybuf), "%s", key);
	for (size_t i = 0; i < sizeof(arch_table) / sizeof(arch_table[0]); i++)
		if (strcmp(arch_table[i].key, keybuf) == 0)
		{
			*arch = arch_table[i].arch;
			*kind = arch_table[i].kind;
			rc = 0;
			goto done;
		}
	vf_error(err, VF_ERR_UNSUPPORTED, "unsupported model architecture \"%s\"; supported: %s",
			 keybuf, vf_supported_architectures);
done:
	vf_json_free(doc);
	return rc;
}

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
vf_model_arch_check(const char *arch, const VfCheckpoint *c, VfError *err)
{
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

	if (strcmp(arch, "enformer") == 0)
	{
		snprintf(name, sizeof(name), "stem.0.weight");
		return vf_checkpoint_require(c, one, 1, arch, err);
	}

	/* esm and bert: embeddings, then every layer the config promises */
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
