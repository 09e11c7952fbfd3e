/*
 * embedding_mlp_check.c: reading an embedding_mlp checkpoint's own parts (config.json, the
 * MLP) and load_model's check built on it (a row of the architecture table). The encoder/
 * is checked when the model is created from the whole image (embedding_mlp.c).
 */
#include <stdio.h>
#include <string.h>

#include "embedding_mlp_internal.h"

#define MAX_WINDOW (1 << 22)

int
vf_embedding_mlp_read(const VfCheckpoint *ckpt, VfEmbedMlpParts *parts, VfError *err)
{
	VfJsonDoc  *doc;
	const VfJson *cfg;
	const char *pooling;
	VfBinder	b = {ckpt, "", err, false};
	int			hidden,
				rc = -1;

	memset(parts, 0, sizeof(*parts));
	if (ckpt->config_json == NULL)
		return vf_error(err, VF_ERR_DATA, "an embedding_mlp checkpoint needs its config.json");
	if ((doc = vf_json_parse(ckpt->config_json, ckpt->config_len, err)) == NULL)
		return -1;
	cfg = vf_json_root(doc);
	pooling = vf_json_get_string(cfg, "pooling", "mean");
	if (vf_cfg_int(cfg, "ext_emb_len", -1, 2, 1 << 20, &parts->ext_emb_len, err) < 0 ||
		vf_cfg_int(cfg, "encoder_window", -1, 1, MAX_WINDOW, &parts->encoder_window, err) < 0 ||
		vf_cfg_int(cfg, "encoder_chunk", 0, 0, MAX_WINDOW, &parts->encoder_chunk, err) < 0 ||
		vf_cfg_int(cfg, "hidden", 0, 0, 1 << 20, &hidden, err) < 0)
		goto done;
	if (strcmp(pooling, "mean") != 0)
	{
		vf_error(err, VF_ERR_UNSUPPORTED, "embedding_mlp pooling \"%s\" is not supported", pooling);
		vf_error_hint(err, "Only \"mean\" (the mean of the last hidden state over each piece's tokens, pieces averaged).");
		goto done;
	}
	if (parts->ext_emb_len % 2 != 0)
	{
		vf_error(err, VF_ERR_DATA, "ext_emb_len %d is odd: it must hold two haplotypes' embeddings", parts->ext_emb_len);
		goto done;
	}
	if (vf_pair_mlp_bind(&parts->mlp, &b, parts->ext_emb_len, 0) < 0)
		goto done;
	if (hidden != 0 && hidden != parts->mlp.hidden)
	{
		vf_error(err, VF_ERR_DATA, "config.json says hidden %d, but tensor \"mlp.0.weight\" has %d rows",
				 hidden, parts->mlp.hidden);
		goto done;
	}
	rc = 0;
done:
	vf_json_free(doc);
	return rc;
}

int
vf_embedding_mlp_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err)
{
	VfEmbedMlpParts parts;

	(void) arch;
	return vf_embedding_mlp_read(ckpt, &parts, err);
}
