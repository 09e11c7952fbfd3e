/*
 * embedding_mlp.h: the embeddings-only expression model (model_type "embedding_mlp"), as
 * Ramprasad et al. predict expression from Nucleotide Transformer embeddings: a language
 * model's pooled embeddings of a person's two haplotypes, side by side, through an MLP
 * (plain C). No trunk: it is the fused ukbioformer model's encoder branch and MLP alone, and
 * pools exactly as that model does (DESIGN.md's encoder_chunk rule).
 *
 *   e = [pool(encoder(h1)), pool(encoder(h2))]      over `encoder_window` bases each
 *   out = mlp.2(relu(mlp.0(e)))
 *
 * Directory: config.json {"model_type": "embedding_mlp", "ext_emb_len", "hidden",
 * "encoder_window", "encoder_chunk", "pooling": "mean"}, model.safetensors (mlp.0.weight
 * [hidden, ext_emb_len], mlp.0.bias, mlp.2.weight [n_out, hidden], mlp.2.bias) and encoder/
 * (any encoder of the architecture table, with its tokenizer). In shared memory it is one
 * image of both checkpoints, the same layout as the fused model's (vf_fused_image_build).
 */
#ifndef VARFORMER_MODELS_EMBEDDING_MLP_H
#define VARFORMER_MODELS_EMBEDDING_MLP_H

#include <stddef.h>

#include "varformer/checkpoint/checkpoint.h"
#include "varformer/common/error.h"
#include "varformer/models/model.h"

typedef struct VfEmbedMlp VfEmbedMlp;

typedef struct VfEmbedMlpInfo
{
	int			encoder_window; /* bases of each haplotype the encoder embeds */
	int			encoder_chunk;	/* 0: the whole window at once */
	int			hidden;			/* encoder hidden size (ext_emb_len / 2) */
	int			mlp_hidden;
	int			n_out;			/* outputs (mlp.2's rows) */
	const char *label;
} VfEmbedMlpInfo;

/*
 * Builds the model over its two checkpoint views (both must outlive it). Refuses, naming
 * the problem: a config key missing or out of range, pooling other than "mean", a missing
 * or misshapen mlp tensor, an ext_emb_len that is not twice the encoder's hidden size, an
 * encoder without a usable tokenizer.
 */
VfEmbedMlp *vf_embedding_mlp_create(const VfCheckpoint *main, const VfCheckpoint *encoder,
									VfError *err);
void		vf_embedding_mlp_free(VfEmbedMlp *m);
const VfEmbedMlpInfo *vf_embedding_mlp_info(const VfEmbedMlp *m);
void		vf_embedding_mlp_set_interrupt_hook(VfEmbedMlp *m, void (*hook) (void));

/* One haplotype's pooled embedding e[0..hidden); len must be encoder_window. */
int			vf_embedding_mlp_embed(VfEmbedMlp *m, const char *seq, size_t len, float *e,
								   int *n_tokens, VfError *err);

/* out[0..n_out) from the two haplotypes' pooled embeddings. */
void		vf_embedding_mlp_forward(const VfEmbedMlp *m, const float *e1, const float *e2, float *out);

/* Table function (model_arch.h) of the row "embedding_mlp": config.json and the MLP's tensors. */
int			vf_embedding_mlp_check(const VfArch *arch, const VfCheckpoint *ckpt, VfError *err);

#endif
