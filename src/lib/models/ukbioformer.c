/*
 * ukbioformer.c: the fused predictor (ukbioformer.h) over the Enformer trunk (enformer.h,
 * gReLU names under embedding.*, ConvHead head.*) and any encoder of the architecture
 * table (encoder/ of the directory), plus the MLP and the learned mixing weight (plain C).
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
#include "varformer/tokenizers/tokenizer.h"
#include "tensor_bind.h"
#include "ukbioformer_internal.h"

static int
make_encoder(VfFused *f, const VfCheckpoint *enc, VfError *err)
{
	const VfModelInfo *mi;
	char		m[sizeof(err->msg)];

	if (enc->config_json == NULL)
		return vf_error(err, VF_ERR_DATA, "the fused model's encoder/ has no config.json");
	if ((f->enc_config_doc = vf_json_parse(enc->config_json, enc->config_len, err)) == NULL ||
		(f->encoder = vf_model_create(enc, vf_json_root(f->enc_config_doc), err)) == NULL)
	{
		snprintf(m, sizeof(m), "%s", err->msg);
		return vf_error(err, err->code, "encoder/: %s", m);
	}
	mi = vf_model_info(f->encoder);
	if (mi->kind != VF_KIND_ENCODER)
		return vf_error(err, VF_ERR_DATA, "encoder/ holds a %s, not a transformer encoder", mi->label);
	if ((f->tok = vf_tokenizer_create(enc, vf_json_root(f->enc_config_doc), err)) == NULL)
	{
		snprintf(m, sizeof(m), "%s", err->msg);
		return vf_error(err, err->code, "encoder/ has no usable tokenizer: %s", m);
	}
	f->info.hidden = mi->out_cols;
	f->max_tokens = mi->max_input;
	if ((f->ids = malloc(sizeof(int32_t) * f->max_tokens)) == NULL ||
		(f->hidden = malloc(sizeof(float) * (size_t) f->max_tokens * mi->out_cols)) == NULL)
		return vf_error(err, VF_ERR_NOMEM, "out of memory");
	return 0;
}

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
		make_encoder(f, encoder, err) < 0)
		goto fail;
	if (ext != 2 * f->info.hidden)
	{
		vf_error(err, VF_ERR_DATA, "ext_emb_len %d is not twice the encoder's hidden size %d", ext, f->info.hidden);
		vf_error_hint(err, "The MLP reads the two haplotypes' pooled embeddings side by side.");
		goto fail;
	}
	if (vf_ukbio_bind_mlp(f, main, ext, f->info.n_tasks, err) < 0)
		goto fail;
	snprintf(f->label, sizeof(f->label), "ukbioformer (%d-channel trunk, %d transformer blocks; encoder %s)",
			 f->trunk_config->dim, f->trunk_config->depth, vf_model_info(f->encoder)->label);
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
	vf_tokenizer_free(f->tok);
	vf_model_free(f->encoder);
	if (f->config_doc)
		vf_json_free(f->config_doc);
	if (f->enc_config_doc)
		vf_json_free(f->enc_config_doc);
	free(f->ids);
	free(f->hidden);
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
	vf_model_set_interrupt_hook(f->encoder, hook);
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
	int			H = f->info.hidden;
	size_t		chunk = f->info.encoder_chunk > 0 ? (size_t) f->info.encoder_chunk : len;
	double	   *acc = calloc(H, sizeof(double)),
			   *piece = calloc(H, sizeof(double));
	int			pieces = 0,
				total = 0,
				rc = -1;

	if (acc == NULL || piece == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (len != (size_t) f->info.encoder_window)
	{
		vf_error(err, VF_ERR_INVALID, "the encoder reads %d bases, not %zu", f->info.encoder_window, len);
		goto done;
	}
	for (size_t at = 0; at < len; at += chunk, pieces++)
	{
		size_t		n = len - at < chunk ? len - at : chunk;
		int			k = vf_tokenize(f->tok, seq + at, n, f->ids, f->max_tokens, err);
		VfModelInput in = {0};

		if (k < 0)
			goto done;
		in.ids = f->ids;
		in.n_tokens = k;
		if (vf_model_forward(f->encoder, &in, f->hidden, err) < 0)
			goto done;
		memset(piece, 0, sizeof(double) * H);
		for (int i = 0; i < k; i++)
			for (int j = 0; j < H; j++)
				piece[j] += f->hidden[(size_t) i * H + j];
		for (int j = 0; j < H; j++)
			acc[j] += piece[j] / k;
		total += k;
	}
	for (int j = 0; j < H; j++)
		e[j] = (float) (acc[j] / pieces);
	if (n_tokens)
		*n_tokens = total;
	rc = 0;
done:
	free(acc);
	free(piece);
	return rc;
}

void
vf_fused_combine(const VfFused *f, const float *t, const float *e1, const float *e2, float *out,
				 float *m_out, float *beta)
{
	int			H = f->info.hidden,
				M = f->info.mlp_hidden,
				T = f->info.n_tasks;
	double		b = 1.0 / (1.0 + exp(-(double) f->raw_beta[0]));

	for (int k = 0; k < T; k++)
	{
		double		m = f->b2[k];

		for (int i = 0; i < M; i++)
		{
			const float *w = f->w0 + (size_t) i * 2 * H;
			double		h = f->b0[i];

			for (int j = 0; j < H; j++)
				h += (double) w[j] * e1[j] + (double) w[H + j] * e2[j];
			if (h > 0)
				m += (double) f->w2[(size_t) k * M + i] * h;
		}
		out[k] = (float) (b * t[k] + (1 - b) * m);
		if (m_out)
			m_out[k] = (float) m;
	}
	if (beta)
		*beta = (float) b;
}
