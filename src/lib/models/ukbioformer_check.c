/*
 * ukbioformer_check.c: binding the fused checkpoint's own parts (the gReLU trunk through the
 * Enformer reader, mlp.*, raw_beta, the windows) and load_model's check built from them.
 * Apart from ukbioformer.c because the check is a row of the architecture table, and the
 * model itself creates its encoder through that table.
 */
#include <stdio.h>
#include <string.h>

#include "tensor_bind.h"
#include "ukbioformer_internal.h"

/* "model." when Lightning saved it, "" otherwise; NULL when neither holds raw_beta. */
static const char *
lightning_prefix(const VfCheckpoint *ckpt)
{
	if (vf_checkpoint_tensor(ckpt, "raw_beta") != NULL)
		return "";
	if (vf_checkpoint_tensor(ckpt, "model.raw_beta") != NULL)
		return "model.";
	return NULL;
}

/* mlp.* (pair_mlp.c) and raw_beta: shapes from the tensors, checked against each other and the config. */
int
vf_ukbio_bind_mlp(VfFused *f, const VfCheckpoint *ckpt, int ext_emb_len, int n_tasks, VfError *err)
{
	const char *p = lightning_prefix(ckpt);
	VfBinder	b = {ckpt, "", err, false};

	if (p == NULL)
		return vf_error(err, VF_ERR_DATA, "ukbioformer checkpoint has no tensor \"raw_beta\" (nor \"model.raw_beta\")");
	b.prefix = p;
	if (vf_pair_mlp_bind(&f->mlp, &b, ext_emb_len, n_tasks) < 0)
		return -1;
	f->raw_beta = vf_bind_need(&b, 1, -1, "raw_beta");
	f->info.mlp_hidden = f->mlp.hidden;
	return b.failed ? -1 : 0;
}

int
vf_ukbio_read_windows(VfFused *f, const VfJson *cfg, VfError *err)
{
	if (vf_cfg_int(cfg, "window", -1, 1, MAX_WINDOW, &f->info.window, err) < 0 ||
		vf_cfg_int(cfg, "encoder_window", -1, 1, MAX_WINDOW, &f->info.encoder_window, err) < 0 ||
		vf_cfg_int(cfg, "encoder_chunk", 0, 0, MAX_WINDOW, &f->info.encoder_chunk, err) < 0)
		return -1;
	return 0;
}

/* The trunk through the Enformer row; it must end in an averaging ConvHead. */
int
vf_ukbio_make_trunk(VfFused *f, const VfJson *cfg, const VfCheckpoint *ckpt, VfError *err)
{
	VfEnformerConfig *c;

	/* the Enformer reader needs no table row (and looking one up would tie this file to the table) */
	if ((f->trunk_config = vf_enformer_read_config(NULL, cfg, ckpt, err)) == NULL)
		return -1;
	c = f->trunk_config;
	if (c->scheme != VF_ENFORMER_GRELU)
		return vf_error(err, VF_ERR_DATA, "a ukbioformer trunk uses gReLU's names (embedding.conv_tower.blocks.*), not enformer-pytorch's");
	if (c->head != VF_HEAD_CONV)
	{
		vf_error(err, VF_ERR_DATA, "ukbioformer checkpoint has no tensor \"%sweight\"", c->p_head);
		vf_error_hint(err, "The fused model's trunk ends in head.channel_transform (a 1x1 convolution averaged over bins).");
		return -1;
	}
	if (!c->head_mean)
		return vf_error(err, VF_ERR_DATA, "a ukbioformer head averages over bins: final_pool_func must be \"avg\"");
	if (f->info.window < c->min_bases || f->info.window > c->max_bases)
		return vf_error(err, VF_ERR_DATA, "window %d is outside what the trunk reads (%d to %d bases)",
						f->info.window, c->min_bases, c->max_bases);
	if ((f->trunk_weights = vf_enformer_bind(c, ckpt, err)) == NULL ||
		(f->trunk_state = vf_enformer_new_state(c, err)) == NULL)
		return -1;
	f->info.n_tasks = c->tracks;
	return 0;
}

/*
 * load_model's check of the directory's own checkpoint (the encoder is checked with it when
 * the whole image is built: vf_fused_create names any problem of either part).
 */
int
vf_ukbioformer_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err)
{
	VfFused		f = {0};
	VfJsonDoc  *doc;
	int			rc = -1,
				ext;

	(void) arch;
	if (ckpt->config_json == NULL)
		return vf_error(err, VF_ERR_DATA, "a ukbioformer checkpoint needs its config.json");
	if ((doc = vf_json_parse(ckpt->config_json, ckpt->config_len, err)) == NULL)
		return -1;
	if (vf_ukbio_read_windows(&f, vf_json_root(doc), err) == 0 &&
		vf_cfg_int(vf_json_root(doc), "ext_emb_len", -1, 2, 1 << 20, &ext, err) == 0 &&
		vf_ukbio_make_trunk(&f, vf_json_root(doc), ckpt, err) == 0 &&
		vf_ukbio_bind_mlp(&f, ckpt, ext, f.info.n_tasks, err) == 0)
		rc = 0;
	vf_enformer_release(f.trunk_config, f.trunk_weights, f.trunk_state);
	vf_json_free(doc);
	return rc;
}
