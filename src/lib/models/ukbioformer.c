/*
 * ukbioformer.c: the fused predictor (ukbioformer.h) over the Enformer trunk (enformer.h,
 * gReLU names under embedding.*, ConvHead head.*) and any encoder of the architecture
 * table (encoder/ of the directory), plus the MLP and the learned mixing weight (plain C).
 *
 * The encoder branch (pooled_encoder.c) and the MLP (pair_mlp.c) are shared with the
 * embeddings-only model (embedding_mlp.c), which is this model without the trunk.
 *
 * The trunk is bound by the Enformer row's own reader and binder: UKBioBERT_EnformerPretrainedModel
 * keeps gReLU EnformerModel's names and argument names for that part, so a fused checkpoint
 * is an EnformerModel checkpoint plus mlp.* and raw_beta (and ext_emb_len, window,
 * encoder_window, encoder_chunk in config.json).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/models/enformer.h"
#include "varformer/models/model_arch.h"
#include "varformer/models/ukbioformer.h"
#include "tensor_bind.h"
#include "ukbioformer_internal.h"

VfFused *
vf_fused_create(const VfCheckpoint *main, const VfCheckpoint *encoder, VfError *err)
{
	VfFused    *f = calloc(1, sizeof(VfFused));
	const VfJson *cfg;
	int			ext;

	if (f == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (main->config_json == NULL)
	{
		vf_error(err, VF_ERR_DATA, "a ukbioformer checkpoint needs its config.json");
		goto fail;
	}
	if ((f->config_doc = vf_json_parse(main->config_json, main->config_len, err)) == NULL)
		goto fail;
	cfg = vf_json_root(f->config_doc);
	if (vf_ukbio_read_windows(f, cfg, err) < 0 ||
		vf_cfg_int(cfg, "ext_emb_len", -1, 2, 1 << 20, &ext, err) < 0 ||
		vf_ukbio_make_trunk(f, cfg, main, err) < 0 ||
		(f->encoder = vf_pooled_encoder_create(encoder, f->info.encoder_window, f->info.encoder_chunk,
											   err)) == NULL)
		goto fail;
	f->info.hidden = vf_pooled_encoder_hidden(f->encoder);
	if (ext != 2 * f->info.hidden)
	{
		vf_error(err, VF_ERR_DATA, "ext_emb_len %d is not twice the encoder's hidden size %d", ext, f->info.hidden);
		vf_error_hint(err, "The MLP reads the two haplotypes' pooled embeddings side by side.");
		goto fail;
	}
	if (vf_ukbio_bind_mlp(f, main, ext, f->info.n_tasks, err) < 0)
		goto fail;
	snprintf(f->label, sizeof(f->label), "ukbioformer (%d-channel trunk, %d transformer blocks; encoder %s)",
			 f->trunk_config->dim, f->trunk_config->depth, vf_pooled_encoder_label(f->encoder));
	f->info.label = f->label;
	if ((f->onehot = malloc(sizeof(float) * 4 * (size_t) f->info.window)) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	return f;
fail:
	vf_fused_free(f);
	return NULL;
}

void
vf_fused_free(VfFused *f)
{
	if (f == NULL)
		return;
	vf_enformer_release(f->trunk_config, f->trunk_weights, f->trunk_state);
	vf_pooled_encoder_free(f->encoder);
	if (f->config_doc)
		vf_json_free(f->config_doc);
	free(f->onehot);
	free(f);
}

const VfFusedInfo *
vf_fused_info(const VfFused *f)
{
	return &f->info;
}

void
vf_fused_set_interrupt_hook(VfFused *f, void (*hook) (void))
{
	f->hook = hook;
	vf_pooled_encoder_set_interrupt_hook(f->encoder, hook);
}

static int
base_channel(char b)
{
	switch (b)
	{
		case 'A': case 'a': return 0;
		case 'C': case 'c': return 1;
		case 'G': case 'g': return 2;
		case 'T': case 't': return 3;
		default: return -1;
	}
}

int
vf_fused_trunk(VfFused *f, const char *h1, const char *h2, float *t, VfError *err)
{
	int			W = f->info.window;
	VfModelInput in = {0};

	memset(f->onehot, 0, sizeof(float) * 4 * (size_t) W);
	for (int i = 0; i < W; i++)
	{
		int			a = base_channel(h1[i]),
					b = base_channel(h2[i]);

		if (a >= 0)
			f->onehot[(size_t) i * 4 + a] += 0.5f;
		if (b >= 0)
			f->onehot[(size_t) i * 4 + b] += 0.5f;
	}
	in.onehot = f->onehot;
	in.seq_len = (size_t) W;
	return vf_enformer_forward(f->trunk_config, f->trunk_weights, f->trunk_state, f->hook, &in, t, err);
}

int
vf_fused_embed(VfFused *f, const char *seq, size_t len, float *e, int *n_tokens, VfError *err)
{
	return vf_pooled_encoder_embed(f->encoder, seq, len, e, n_tokens, err);
}

void
vf_fused_combine(const VfFused *f, const float *t, const float *e1, const float *e2, float *out,
				 float *m_out, float *beta)
{
	double		b = 1.0 / (1.0 + exp(-(double) f->raw_beta[0]));

	for (int k = 0; k < f->info.n_tasks; k++)
	{
		double		m = vf_pair_mlp_output(&f->mlp, e1, e2, k);

		out[k] = (float) (b * t[k] + (1 - b) * m);
		if (m_out)
			m_out[k] = (float) m;
	}
	if (beta)
		*beta = (float) b;
}
