/*
 * model_arch.c: the table of architectures (plain C) and the detection of a checkpoint's row
 * from its config.json. load_model reads it to check and classify a checkpoint before it
 * takes shared memory; model.c reads it to build the model a backend runs.
 */
#include <stdio.h>
#include <string.h>

#include "varformer/models/model_arch.h"
#include "varformer/models/embedding_mlp.h"
#include "varformer/models/enformer.h"
#include "varformer/models/hyena.h"
#include "varformer/models/transformer.h"
#include "varformer/models/ukbioformer.h"

static const char *const esm_keys[] = {"esm", "EsmForMaskedLM", "EsmModel", NULL};
static const char *const bert_keys[] = {"bert", "BertForMaskedLM", "BertModel", NULL};
static const char *const enformer_keys[] = {"enformer", "Enformer", "EnformerModel", NULL};
static const char *const hyena_keys[] = {"hyenadna", "HyenaDNAForCausalLM", "HyenaDNAModel",
"HyenaDNAForSequenceClassification", NULL};
static const char *const ukbio_keys[] = {"ukbioformer", "UKBioBERT_EnformerPretrainedModel", NULL};
static const char *const emb_mlp_keys[] = {"embedding_mlp", NULL};

#define TRANSFORMER_FUNCTIONS \
	vf_transformer_check, vf_transformer_read_config, vf_transformer_bind, \
	vf_transformer_new_state, vf_transformer_forward, vf_transformer_info, \
	vf_transformer_output_rows, vf_transformer_flops, vf_transformer_release

static const VfArch arch_table[] = {
	{"esm", "esm (Nucleotide Transformer)", VF_KIND_ENCODER, esm_keys, TRANSFORMER_FUNCTIONS},
	{"bert", "bert (DNABERT-2, GROVER, BERT)", VF_KIND_ENCODER, bert_keys, TRANSFORMER_FUNCTIONS},
	{"enformer", "enformer", VF_KIND_SEQ2FUNC, enformer_keys,
		vf_enformer_check, vf_enformer_read_config, vf_enformer_bind, vf_enformer_new_state,
	vf_enformer_forward, vf_enformer_info, vf_enformer_output_rows, vf_enformer_flops,
	vf_enformer_release},
	{"hyenadna", "hyenadna (HyenaDNA)", VF_KIND_ENCODER, hyena_keys,
		vf_hyena_check, vf_hyena_read_config, vf_hyena_bind, vf_hyena_new_state,
	vf_hyena_forward, vf_hyena_info, vf_hyena_output_rows, vf_hyena_flops, vf_hyena_release},
	/* two checkpoints (the directory's and encoder/): built by vf_fused_create, not vf_model_create */
	{"ukbioformer", "ukbioformer (UKBioLM fused trunk + encoder)", VF_KIND_FUSED, ukbio_keys,
	vf_ukbioformer_check, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
	/* the same two checkpoints: built by vf_embedding_mlp_create */
	{"embedding_mlp", "embedding_mlp (MLP over an encoder's pooled haplotype embeddings)", VF_KIND_EMBED_HEAD,
	emb_mlp_keys, vf_embedding_mlp_check, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

#define N_ARCH (sizeof(arch_table) / sizeof(arch_table[0]))

const char *
vf_supported_architectures(void)
{
	static char list[512];

	if (list[0] == '\0')
	{
		size_t		used = 0;

		for (size_t i = 0; i < N_ARCH && used < sizeof(list); i++)
			used += snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
							 arch_table[i].label);
	}
	return list;
}

const VfArch *
vf_arch_lookup(const char *key)
{
	for (size_t i = 0; i < N_ARCH; i++)
		for (const char *const *k = arch_table[i].keys; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				return &arch_table[i];
	return NULL;
}

int
vf_model_arch_detect(const char *config_json, size_t len, const char **arch, VfModelKind *kind,
					 VfError *err)
{
	VfJsonDoc  *doc;
	const VfJson *root,
			   *archs;
	const char *key = NULL;
	char		keybuf[128] = "";
	const VfArch *row;
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
		vf_error_hint(err, "Supported architectures: %s.", vf_supported_architectures());
		goto done;
	}
	snprintf(keybuf, sizeof(keybuf), "%s", key);
	if ((row = vf_arch_lookup(keybuf)) != NULL)
	{
		*arch = row->name;
		*kind = row->kind;
		rc = 0;
		goto done;
	}
	vf_error(err, VF_ERR_UNSUPPORTED, "unsupported model architecture \"%s\"; supported: %s",
			 keybuf, vf_supported_architectures());
done:
	vf_json_free(doc);
	return rc;
}

int
vf_model_arch_check(const char *arch, const VfCheckpoint *ckpt, VfError *err)
{
	const VfArch *row = NULL;

	for (size_t i = 0; i < N_ARCH && row == NULL; i++)
		if (strcmp(arch_table[i].name, arch) == 0)
			row = &arch_table[i];
	if (row == NULL)
		return vf_error(err, VF_ERR_UNSUPPORTED, "unsupported model architecture \"%s\"; supported: %s",
						arch, vf_supported_architectures());
	return row->check(row, ckpt, err);
}
