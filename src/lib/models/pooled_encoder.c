/*
 * pooled_encoder.c: a haplotype window through an encoder/ checkpoint, pooled (pooled_encoder.h).
 * Shared by the fused model (ukbioformer.c) and the embeddings-only model (embedding_mlp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "varformer/models/model.h"
#include "varformer/tokenizers/tokenizer.h"
#include "pooled_encoder.h"

struct VfPooledEncoder
{
	int			window;
	int			chunk;
	int			hidden;
	VfJsonDoc  *config_doc;
	VfModel    *model;
	VfTokenizer *tok;
	int			max_tokens;
	int32_t    *ids;
	float	   *states;			/* max_tokens x hidden */
};

VfPooledEncoder *
vf_pooled_encoder_create(const VfCheckpoint *enc, int window, int chunk, VfError *err)
{
	VfPooledEncoder *pe = calloc(1, sizeof(VfPooledEncoder));
	const VfModelInfo *mi;
	char		m[sizeof(err->msg)];

	if (pe == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pe->window = window;
	pe->chunk = chunk;
	if (enc->config_json == NULL)
	{
		vf_error(err, VF_ERR_DATA, "the model's encoder/ has no config.json");
		goto fail;
	}
	if ((pe->config_doc = vf_json_parse(enc->config_json, enc->config_len, err)) == NULL ||
		(pe->model = vf_model_create(enc, vf_json_root(pe->config_doc), err)) == NULL)
	{
		snprintf(m, sizeof(m), "%s", err->msg);
		vf_error(err, err->code, "encoder/: %s", m);
		goto fail;
	}
	mi = vf_model_info(pe->model);
	if (mi->kind != VF_KIND_ENCODER)
	{
		vf_error(err, VF_ERR_DATA, "encoder/ holds a %s, not a transformer encoder", mi->label);
		goto fail;
	}
	if ((pe->tok = vf_tokenizer_create(enc, vf_json_root(pe->config_doc), err)) == NULL)
	{
		snprintf(m, sizeof(m), "%s", err->msg);
		vf_error(err, err->code, "encoder/ has no usable tokenizer: %s", m);
		goto fail;
	}
	pe->hidden = mi->out_cols;
	pe->max_tokens = mi->max_input;
	if ((pe->ids = malloc(sizeof(int32_t) * pe->max_tokens)) == NULL ||
		(pe->states = malloc(sizeof(float) * (size_t) pe->max_tokens * mi->out_cols)) == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		goto fail;
	}
	return pe;
fail:
	vf_pooled_encoder_free(pe);
	return NULL;
}

void
vf_pooled_encoder_free(VfPooledEncoder *pe)
{
	if (pe == NULL)
		return;
	vf_tokenizer_free(pe->tok);
	vf_model_free(pe->model);
	if (pe->config_doc)
		vf_json_free(pe->config_doc);
	free(pe->ids);
	free(pe->states);
	free(pe);
}

void
vf_pooled_encoder_set_interrupt_hook(VfPooledEncoder *pe, void (*hook) (void))
{
	vf_model_set_interrupt_hook(pe->model, hook);
}

int
vf_pooled_encoder_hidden(const VfPooledEncoder *pe)
{
	return pe->hidden;
}

const char *
vf_pooled_encoder_label(const VfPooledEncoder *pe)
{
	return vf_model_info(pe->model)->label;
}

int
vf_pooled_encoder_embed(VfPooledEncoder *pe, const char *seq, size_t len, float *e, int *n_tokens,
						VfError *err)
{
	int			H = pe->hidden;
	size_t		chunk = pe->chunk > 0 ? (size_t) pe->chunk : len;
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
	if (len != (size_t) pe->window)
	{
		vf_error(err, VF_ERR_INVALID, "the encoder reads %d bases, not %zu", pe->window, len);
		goto done;
	}
	for (size_t at = 0; at < len; at += chunk, pieces++)
	{
		size_t		n = len - at < chunk ? len - at : chunk;
		int			k = vf_tokenize(pe->tok, seq + at, n, pe->ids, pe->max_tokens, err);
		VfModelInput in = {0};

		if (k < 0)
			goto done;
		in.ids = pe->ids;
		in.n_tokens = k;
		if (vf_model_forward(pe->model, &in, pe->states, err) < 0)
			goto done;
		memset(piece, 0, sizeof(double) * H);
		for (int i = 0; i < k; i++)
			for (int j = 0; j < H; j++)
				piece[j] += pe->states[(size_t) i * H + j];
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
