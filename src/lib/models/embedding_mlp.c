/*
 * embedding_mlp.c: the embeddings-only model (embedding_mlp.h): the shared encoder branch
 * (pooled_encoder.c) and MLP (pair_mlp.c) of the fused model, without its trunk.
 */
#include <stdio.h>
#include <stdlib.h>

#include "embedding_mlp_internal.h"
#include "pooled_encoder.h"

struct VfEmbedMlp
{
	VfEmbedMlpInfo info;
	char		label[160];
	VfPairMlp	mlp;
	VfPooledEncoder *encoder;
};

VfEmbedMlp *
vf_embedding_mlp_create(const VfCheckpoint *main, const VfCheckpoint *encoder, VfError *err)
{
	VfEmbedMlp *m = calloc(1, sizeof(VfEmbedMlp));
	VfEmbedMlpParts parts;
	int			H;

	if (m == NULL)
	{
		vf_error(err, VF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (vf_embedding_mlp_read(main, &parts, err) < 0 ||
		(m->encoder = vf_pooled_encoder_create(encoder, parts.encoder_window, parts.encoder_chunk, err)) == NULL)
		goto fail;
	H = vf_pooled_encoder_hidden(m->encoder);
	if (parts.ext_emb_len != 2 * H)
	{
		vf_error(err, VF_ERR_DATA, "ext_emb_len %d is not twice the encoder's hidden size %d", parts.ext_emb_len, H);
		vf_error_hint(err, "The MLP reads the two haplotypes' pooled embeddings side by side.");
		goto fail;
	}
	m->mlp = parts.mlp;
	m->info.encoder_window = parts.encoder_window;
	m->info.encoder_chunk = parts.encoder_chunk;
	m->info.hidden = H;
	m->info.mlp_hidden = parts.mlp.hidden;
	m->info.n_out = parts.mlp.n_out;
	snprintf(m->label, sizeof(m->label), "embedding_mlp (MLP %d-%d-%d over encoder %s)",
			 parts.ext_emb_len, parts.mlp.hidden, parts.mlp.n_out, vf_pooled_encoder_label(m->encoder));
	m->info.label = m->label;
	return m;
fail:
	vf_embedding_mlp_free(m);
	return NULL;
}

void
vf_embedding_mlp_free(VfEmbedMlp *m)
{
	if (m == NULL)
		return;
	vf_pooled_encoder_free(m->encoder);
	free(m);
}

const VfEmbedMlpInfo *
vf_embedding_mlp_info(const VfEmbedMlp *m)
{
	return &m->info;
}

void
vf_embedding_mlp_set_interrupt_hook(VfEmbedMlp *m, void (*hook) (void))
{
	vf_pooled_encoder_set_interrupt_hook(m->encoder, hook);
}

int
vf_embedding_mlp_embed(VfEmbedMlp *m, const char *seq, size_t len, float *e, int *n_tokens, VfError *err)
{
	return vf_pooled_encoder_embed(m->encoder, seq, len, e, n_tokens, err);
}

void
vf_embedding_mlp_forward(const VfEmbedMlp *m, const float *e1, const float *e2, float *out)
{
	for (int k = 0; k < m->info.n_out; k++)
		out[k] = (float) vf_pair_mlp_output(&m->mlp, e1, e2, k);
}
