/*
 * embedding_mlp_internal.h: what the embeddings-only model (embedding_mlp.c) and load_model's
 * check of it (embedding_mlp_check.c, a row of the architecture table) both read from a
 * checkpoint. Apart so that the check does not reach the encoder, which the model creates
 * through the table.
 */
#ifndef VARFORMER_MODELS_EMBEDDING_MLP_INTERNAL_H
#define VARFORMER_MODELS_EMBEDDING_MLP_INTERNAL_H

#include "varformer/models/embedding_mlp.h"
#include "pair_mlp.h"

typedef struct VfEmbedMlpParts
{
	int			ext_emb_len;
	int			encoder_window;
	int			encoder_chunk;
	VfPairMlp	mlp;
} VfEmbedMlpParts;

/* config.json's keys and the MLP's tensors, checked against each other. */
int			vf_embedding_mlp_read(const VfCheckpoint *ckpt, VfEmbedMlpParts *parts, VfError *err);

#endif
